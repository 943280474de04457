// The load generator: a separate Node process (forked by bench/run.mjs, driven over
// IPC) that keeps a fixed number of HTTP/1.1 keep-alive requests in flight against
// workerd for a fixed time and records every latency. It shares no event loop with
// the runner or with Miniflare's Node side, and workerd gets the other core.
//
// Kinds of scenario:
//   static        the same request every time (floors, the bad-proof rejection)
//   dpop          an agent request with a fresh DPoP proof each time (single-use jti,
//                 ath of the token, htu of the URL); proofs are made with the SDK's
//                 createProof and pre-generated before the timed window
//   hold-capture  POST /v1/holds then POST /v1/holds/{id}/capture; the capture proof
//                 names the hold in its htu, so it is signed on the fly
//   revoke        authorize load on a leaf of a big tree, then the principal revokes
//                 the root: revoke latency, time to the first refusal, and whether
//                 anything sent after the revoke returned still succeeded
import { randomUUID } from "node:crypto";
import { Pool } from "undici";
import { fastAgentKey, sdk } from "./lib/keys.mjs";

/** End of the current measured window: a response that completes after it is not counted (nor is its latency). */
let windowEnd = Infinity;

class Recorder {
  constructor() {
    this.lat = new Float64Array(1 << 16);
    this.n = 0;
    this.statuses = {};
    this.unexpected = 0;
    this.samples = [];
  }
  add(ms, status, ok, body) {
    if (performance.now() > windowEnd) return;
    if (this.n === this.lat.length) {
      const next = new Float64Array(this.lat.length * 2);
      next.set(this.lat);
      this.lat = next;
    }
    this.lat[this.n++] = ms;
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (!ok) {
      this.unexpected++;
      if (this.samples.length < 3) this.samples.push(`${status} ${String(body).slice(0, 300)}`);
    }
  }
  summary(windowMs, raw = false) {
    const a = this.lat.subarray(0, this.n).slice().sort();
    const q = (p) => (a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : null);
    return {
      count: this.n,
      rps: this.n / (windowMs / 1000),
      p50: q(0.5),
      p90: q(0.9),
      p99: q(0.99),
      max: a.length ? a[a.length - 1] : null,
      mean: a.length ? a.reduce((s, x) => s + x, 0) / a.length : null,
      statuses: this.statuses,
      unexpected: this.unexpected,
      samples: this.samples,
      ...(raw ? { raw: Array.from(a) } : {}),
    };
  }
}

function pool(origin, connections) {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 120_000 });
}

/** Proofs for `count` requests to `method url`, made before the timed window. */
function pregenerate(key, token, method, url, count) {
  const t0 = performance.now();
  const proofs = new Array(count);
  for (let i = 0; i < count; i++) proofs[i] = sdk.createProof(key, { method, url, accessToken: token });
  const ms = performance.now() - t0;
  return { proofs, ms, perSecond: count / (ms / 1000) };
}

/** Runs `one()` from `concurrency` loops until the window ends; `one` returns after recording. */
async function drive({ concurrency, warmupMs, durationMs }, one) {
  httpRequests = 0;
  okAll = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  windowEnd = end;
  const loops = [];
  for (let i = 0; i < concurrency; i++)
    loops.push(
      (async () => {
        while (performance.now() < end) await one(performance.now() >= measureFrom);
      })(),
    );
  await Promise.all(loops);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - start;
  // Every HTTP request of the scenario (warm-up included), for CPU-per-request on the server side,
  // and how busy this process was: near 100% would mean the client, not workerd, is the limit.
  windowEnd = Infinity;
  return {
    windowMs: Math.min(performance.now(), end) - measureFrom,
    requestsTotal: httpRequests,
    okTotal: okAll,
    clientCpuPct: (100 * (cpu.user + cpu.system)) / 1000 / wall,
  };
}

let httpRequests = 0;
/** Responses with the expected status over the whole scenario, warm-up included (receipts made, for the outbox check). */
let okAll = 0;
async function request(p, opts) {
  httpRequests++;
  // Mutating calls must carry an Idempotency-Key (as the SDK's do): a fresh one per request.
  if ((opts.method === "POST" || opts.method === "PATCH") && !Object.keys(opts.headers ?? {}).some((h) => h.toLowerCase() === "idempotency-key"))
    opts = { ...opts, headers: { ...(opts.headers ?? {}), "idempotency-key": randomUUID() } };
  const res = await p.request(opts);
  const text = await res.body.text();
  return { status: res.statusCode, text };
}

// ------------------------------------------------------------------ scenarios

async function runStatic(s) {
  const p = pool(s.origin, s.concurrency);
  const rec = new Recorder();
  const req = { path: s.path, method: s.method, headers: s.headers, body: s.body };
  const d = await drive(s, async (measure) => {
    const t0 = performance.now();
    const r = await request(p, req);
    if (r.status === s.expectStatus) okAll++;
    if (measure) rec.add(performance.now() - t0, r.status, r.status === s.expectStatus, r.text);
  });
  await p.close();
  return { ...rec.summary(d.windowMs, s.raw), ...d };
}

async function runDpop(s) {
  const { key } = fastAgentKey(s.dpop.seed);
  const url = s.origin + s.path;
  const gen = pregenerate(key, s.dpop.token, s.method, url, s.dpop.pregen);
  const proofs = gen.proofs;
  let next = 0;
  let onTheFly = 0;
  const p = pool(s.origin, s.concurrency);
  const rec = new Recorder();
  const base = { authorization: `DPoP ${s.dpop.token}`, "content-type": "application/json", ...(s.headers ?? {}) };
  const d = await drive(s, async (measure) => {
    let proof = proofs[next];
    if (proof === undefined) {
      proof = sdk.createProof(key, { method: s.method, url, accessToken: s.dpop.token });
      onTheFly++;
    } else proofs[next++] = undefined;
    const t0 = performance.now();
    const r = await request(p, { path: s.path, method: s.method, headers: { ...base, dpop: proof }, body: s.body });
    if (r.status === s.expectStatus) okAll++;
    if (measure) rec.add(performance.now() - t0, r.status, r.status === s.expectStatus, r.text);
  });
  await p.close();
  return {
    ...rec.summary(d.windowMs, s.raw),
    ...d,
    proofs: { pregenerated: s.dpop.pregen, used: next + onTheFly, signedOnTheFly: onTheFly, pregenMs: gen.ms, pregenPerSecond: gen.perSecond },
  };
}

async function runHoldCapture(s) {
  const { key } = fastAgentKey(s.dpop.seed);
  const holdUrl = `${s.origin}/v1/holds`;
  const gen = pregenerate(key, s.dpop.token, "POST", holdUrl, s.dpop.pregen);
  let next = 0;
  let onTheFly = 0;
  const p = pool(s.origin, s.concurrency);
  const pairs = new Recorder();
  const holds = new Recorder();
  const captures = new Recorder();
  const base = { authorization: `DPoP ${s.dpop.token}`, "content-type": "application/json" };
  const d = await drive(s, async (measure) => {
    let proof = gen.proofs[next];
    if (proof === undefined) {
      proof = sdk.createProof(key, { method: "POST", url: holdUrl, accessToken: s.dpop.token });
      onTheFly++;
    } else gen.proofs[next++] = undefined;
    const t0 = performance.now();
    const h = await request(p, { path: "/v1/holds", method: "POST", headers: { ...base, dpop: proof }, body: s.body });
    const t1 = performance.now();
    if (measure) holds.add(t1 - t0, h.status, h.status === 201, h.text);
    if (h.status !== 201) {
      if (measure) pairs.add(t1 - t0, h.status, false, h.text);
      return;
    }
    const id = JSON.parse(h.text).id;
    const path = `/v1/holds/${id}/capture`;
    // The capture URL names the hold: its proof can only be made now.
    const cproof = sdk.createProof(key, { method: "POST", url: s.origin + path, accessToken: s.dpop.token });
    const t2 = performance.now();
    const c = await request(p, { path, method: "POST", headers: { ...base, dpop: cproof }, body: "{}" });
    const t3 = performance.now();
    if (c.status === 200) okAll++;
    if (measure) {
      captures.add(t3 - t2, c.status, c.status === 200, c.text);
      pairs.add(t3 - t0, c.status, c.status === 200, c.text);
    }
  });
  await p.close();
  return {
    ...pairs.summary(d.windowMs, s.raw),
    ...d,
    hold: holds.summary(d.windowMs, s.raw),
    capture: captures.summary(d.windowMs, s.raw),
    proofs: { pregenerated: s.dpop.pregen, holdProofsSignedOnTheFly: onTheFly, captureProofsSignedOnTheFly: captures.n, pregenPerSecond: gen.perSecond },
  };
}

async function runRevoke(s) {
  const { key } = fastAgentKey(s.dpop.seed);
  const url = s.origin + s.path;
  const gen = pregenerate(key, s.dpop.token, "POST", url, s.dpop.pregen);
  let next = 0;
  const p = pool(s.origin, s.concurrency + 1);
  const base = { authorization: `DPoP ${s.dpop.token}`, "content-type": "application/json" };
  const log = []; // [sentAt, doneAt, status, problem]
  const t0 = performance.now();
  let revokeSent = null;
  let revokeDone = null;
  let revokeResult = null;
  let firstRefusal = null;
  let stopAt = t0 + s.maxMs;
  const loops = [];
  for (let i = 0; i < s.concurrency; i++)
    loops.push(
      (async () => {
        while (performance.now() < stopAt) {
          const proof = gen.proofs[next] ?? sdk.createProof(key, { method: "POST", url, accessToken: s.dpop.token });
          gen.proofs[next++] = undefined;
          const sent = performance.now();
          const r = await request(p, { path: s.path, method: "POST", headers: { ...base, dpop: proof }, body: s.body });
          const done = performance.now();
          let problem = null;
          if (r.status !== 200) problem = String(JSON.parse(r.text).type ?? "").split("/problems/")[1] ?? r.text.slice(0, 80);
          log.push([sent, done, r.status, problem]);
          if (problem === "session-revoked" && firstRefusal === null) {
            firstRefusal = done;
            stopAt = Math.min(stopAt, done + s.afterMs);
          }
        }
      })(),
    );
  const revoker = (async () => {
    await new Promise((r) => setTimeout(r, s.beforeMs));
    revokeSent = performance.now();
    const r = await request(p, {
      path: `/v1/sessions/${s.revoke.session}/revoke`,
      method: "POST",
      headers: { authorization: `Bearer ${s.revoke.apiKey}`, "content-type": "application/json", "idempotency-key": `bench-${Date.now()}` },
      body: "{}",
    });
    revokeDone = performance.now();
    revokeResult = { status: r.status, body: r.text.slice(0, 300) };
  })();
  await Promise.all([...loops, revoker]);
  await p.close();
  const before = log.filter(([_sent, done]) => done < revokeSent);
  const beforeMs = before.length ? before[before.length - 1][1] - before[0][0] : 0;
  const lat = before.map(([sent, done]) => done - sent).sort((a, b) => a - b);
  const okSentAfterReturn = log.filter(([sent, , status]) => sent > revokeDone && status === 200).length;
  const okDoneAfterReturn = log.filter(([, done, status]) => done > revokeDone && status === 200).length;
  const statuses = {};
  for (const [, , st, pr] of log) statuses[`${st}${pr ? ` ${pr}` : ""}`] = (statuses[`${st}${pr ? ` ${pr}` : ""}`] ?? 0) + 1;
  return {
    revokeMs: revokeDone - revokeSent,
    revokeResult,
    firstRefusalAfterSendMs: firstRefusal === null ? null : firstRefusal - revokeSent,
    firstRefusalAfterReturnMs: firstRefusal === null ? null : firstRefusal - revokeDone,
    okSentAfterReturn,
    okDoneAfterReturn,
    watcher: { requests: log.length, before: before.length, rpsBefore: before.length / (beforeMs / 1000), p50Before: lat[Math.floor(lat.length / 2)] ?? null },
    statuses,
  };
}

/** How fast this process can make proofs with the SDK as shipped (noble) and with node:crypto. */
function proofRates(s) {
  const { key, slow } = fastAgentKey(s.dpop.seed);
  const url = s.origin + "/v1/authorize";
  const time = (k, n) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sdk.createProof(k, { method: "POST", url, accessToken: s.dpop.token });
    return n / ((performance.now() - t0) / 1000);
  };
  time(slow, 50);
  time(key, 200);
  return { nobleProofsPerSecond: time(slow, 500), nodeCryptoProofsPerSecond: time(key, 3000) };
}

const KINDS = { static: runStatic, dpop: runDpop, "hold-capture": runHoldCapture, revoke: runRevoke, "proof-rates": proofRates };

process.on("message", async (msg) => {
  if (msg?.type !== "run") return;
  try {
    const result = await KINDS[msg.scenario.kind](msg.scenario);
    process.send({ type: "result", id: msg.id, result });
  } catch (e) {
    process.send({ type: "result", id: msg.id, error: String(e?.stack ?? e) });
  }
});
process.send({ type: "ready" });
