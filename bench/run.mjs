#!/usr/bin/env node
// npm run bench   →   node bench/run.mjs [--quick] [options]
//
// Builds the real worker and the floors worker with wrangler's bundler, starts each
// in workerd through the Miniflare API on a 127.0.0.1 port (no wrangler dev, no Node
// proxy on the request path), forks a separate load-generator process, and measures
// in one run: the floors, the real paths, attribution pieces, settlement sealing,
// and a CPU profile of workerd on the authorize path. Prints one table; writes
// bench/results/<timestamp>.json and bench/results/latest.json.
//
// Floors and real paths are measured in interleaved rounds (floor, real, floor,
// real, …) and aggregated, so that a noisy neighbour on the machine disturbs both
// sides of a ratio alike. Each row also carries workerd's CPU time per request.
import { execSync, fork } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildAll, BUILD } from "./lib/build.mjs";
import { snapshot, usage } from "./lib/cpu.mjs";
import { BENCH, ROOT } from "./lib/paths.mjs";
import { startWorker } from "./lib/server.mjs";

const HELP = `node bench/run.mjs [options]
  --quick               ~30 s: one short round, no pieces, no profile
  --concurrency N       requests in flight per row (default 16)
  --rounds N            interleaved rounds of the floor/real rotation (default 3, quick 1)
  --duration S          measured seconds per row per round (default 2.5, quick 1.6)
  --warmup S            warm-up seconds before the first round of a row (default 1, quick 0.4)
  --state-dir DIR       Durable Object SQLite files (default /dev/shm/…: tmpfs, see README)
  --no-profile          skip the workerd CPU profile
  --no-gas              skip anvil and the anchor gas rows (quick skips them unless --gas-1m)
  --gas-1m              add the 1,000,000-receipt anchor gas row (~1 min more)
  --what-if             also build the proposed server fixes into copies of the sources
                        (bench/.build/whatif, never the sources) and measure them against this build
  --no-onchain          skip the side-by-side with the MetaMask Delegation Framework (bench/onchain.mjs)
  --no-leases           skip the budget-lease root-request count (bench/leases.mjs)
  --only LIST           comma list of: floors,authorize,reject,holds,revoke,revoke-cap,pieces,settlement,onchain,leases,profile
                        (revoke-cap: a tree at the sessions-per-tree cap, every session at the scope caps;
                        not in the default run, ~2 min: name it, e.g. --only revoke-cap --quick)
  --cap-tree N          sessions in the revoke-cap tree (default 10000, the REMIT_MAX_SESSIONS_PER_TREE default)
  --baseline REF        also build the worker as of git REF (e.g. HEAD~1, main) and measure its authorize
                        (depth 1 and 8) in the same rotation: a before/after from one run`;

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    concurrency: { type: "string" },
    rounds: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    "state-dir": { type: "string" },
    "no-profile": { type: "boolean", default: false },
    "no-gas": { type: "boolean", default: false },
    "gas-1m": { type: "boolean", default: false },
    "what-if": { type: "boolean", default: false },
    "no-onchain": { type: "boolean", default: false },
    "no-leases": { type: "boolean", default: false },
    only: { type: "string" },
    "cap-tree": { type: "string" },
    baseline: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}

const QUICK = args.quick;
const CONF = {
  concurrency: Number(args.concurrency ?? 16),
  rounds: Number(args.rounds ?? (QUICK ? 1 : 3)),
  warmupMs: Math.round(1000 * Number(args.warmup ?? (QUICK ? 0.4 : 1))),
  laterWarmupMs: 300,
  durationMs: Math.round(1000 * Number(args.duration ?? (QUICK ? 1.5 : 2.2))),
  revokeTreeSize: 1000,
  capTreeSize: Number(args["cap-tree"] ?? 10_000),
  profile: !QUICK && !args["no-profile"],
  gas: !args["no-gas"] && (!QUICK || args["gas-1m"]),
  gasSizes: args["gas-1m"] ? [10_000, 100_000, 1_000_000] : QUICK ? [10_000] : [10_000, 100_000],
  pieces: !QUICK,
  stateDir: args["state-dir"] ?? (existsSync("/dev/shm") ? `/dev/shm/remit-bench-${process.pid}` : join(BUILD, "state")),
};
const ONLY = args.only ? new Set(args.only.split(",")) : null;
const want = (section) => !ONLY || ONLY.has(section);
/** Sections that only run when named in --only (they take minutes). */
const wantNamed = (section) => !!ONLY && ONLY.has(section);

// Fixed bench secrets: nothing here is used outside this process tree.
const ADMIN_TOKEN = "bench-operator-token";
const SIGNING_KEY = "fu0qcEqTDoQC4qtS-uOi4j9pDKMgQb-KmQ1YaxdiH1s";
// The request log is off: one JSON line per request on stdout buried the table (about 8,000 in a quick run).
// Its cost is a console.log per request, which the floors do not pay either.
const BINDINGS = { REMIT_ADMIN_TOKEN: ADMIN_TOKEN, REMIT_SIGNING_KEY: SIGNING_KEY, REMIT_REQUEST_LOG: "off" };

const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
const say = (m) => console.error(`[bench ${elapsed()}] ${m}`);

// ------------------------------------------------------------------ build + start
const build = await buildAll();
process.env.REMIT_BENCH_NODE_BUNDLE = build.node;
say(`built remit, floors and node bundles in ${(build.ms / 1000).toFixed(1)}s; DO state in ${CONF.stateDir}`);
const { Remit, SCOPE } = await import("./lib/remit.mjs");
const { sdk, serviceToken, tamperedProof, thumbprint } = await import("./lib/keys.mjs");
const settlement = await import("./settlement.mjs");

const remitServer = await startWorker({
  build: build.remit,
  bindings: BINDINGS,
  stateDir: join(CONF.stateDir, "remit"),
});
const floorsServer = await startWorker({
  build: build.floors,
  bindings: BINDINGS,
  stateDir: join(CONF.stateDir, "floors"),
});
say(`workerd: remit ${remitServer.url} (pid ${remitServer.pid}), floors ${floorsServer.url} (pid ${floorsServer.pid})`);
// --baseline REF: the worker as committed at REF, built the same way, for a same-run before/after.
let baselineServer = null;
if (args.baseline) {
  const { baselineBuild } = await import("./lib/build.mjs");
  const b = await baselineBuild(args.baseline);
  baselineServer = await startWorker({ build: b, bindings: BINDINGS, stateDir: join(CONF.stateDir, "baseline") });
  baselineServer.ref = b.ref;
  say(`baseline ${args.baseline} (${b.ref}): ${baselineServer.url} (pid ${baselineServer.pid})`);
}

const loadgen = fork(join(BENCH, "loadgen.mjs"), [], { env: { ...process.env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
await new Promise((ok) => loadgen.once("message", (m) => m?.type === "ready" && ok()));
let nextId = 0;
let receiptsMade = 0;

/** One scenario in the load generator; with `server`, the CPU used by workerd, the load generator and everyone else. */
async function measure(scenario, server) {
  const id = ++nextId;
  const pids = server ? { workerd: server.pid, loadgen: loadgen.pid, runner: process.pid } : null;
  const before = pids && snapshot(pids);
  const load0 = loadavg()[0];
  loadgen.send({ type: "run", id, scenario });
  const result = await new Promise((ok, fail) => {
    const on = (m) => {
      if (m?.type !== "result" || m.id !== id) return;
      loadgen.off("message", on);
      m.error ? fail(new Error(`${scenario.name ?? scenario.kind}: ${m.error}`)) : ok(m.result);
    };
    loadgen.on("message", on);
  });
  if (server === remitServer && (scenario.path === "/v1/authorize" || scenario.kind === "hold-capture") && scenario.kind !== "static")
    receiptsMade += result.okTotal ?? 0;
  if (pids) {
    const u = usage(before, snapshot(pids));
    result.cpu = {
      serverUsPerRequest: result.requestsTotal ? u.ns.workerd / 1000 / result.requestsTotal : null,
      serverNs: u.ns.workerd,
      requests: result.requestsTotal,
      workerdPct: u.pct.workerd,
      loadgenPct: u.pct.loadgen,
      otherPct: u.pct.other,
      loadavg: load0,
    };
  }
  return result;
}

/** Sums rounds of one row: counts over windows, latencies merged, CPU over requests. */
function aggregate(rounds) {
  if (rounds.length === 1) return { ...stripRaw(rounds[0]), roundsRps: [rounds[0].rps] };
  const merged = (pick) => {
    const all = rounds.flatMap((r) => pick(r)?.raw ?? []).sort((a, b) => a - b);
    const q = (p) => (all.length ? all[Math.min(all.length - 1, Math.floor(p * all.length))] : null);
    return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: all[all.length - 1] ?? null, mean: all.length ? all.reduce((s, x) => s + x, 0) / all.length : null };
  };
  const windowMs = rounds.reduce((s, r) => s + r.windowMs, 0);
  const count = rounds.reduce((s, r) => s + r.count, 0);
  const sumStatuses = (list) => {
    const acc = {};
    for (const st of list) for (const [k, v] of Object.entries(st ?? {})) acc[k] = (acc[k] ?? 0) + v;
    return acc;
  };
  const serverNs = rounds.reduce((s, r) => s + (r.cpu?.serverNs ?? 0), 0);
  const requests = rounds.reduce((s, r) => s + (r.cpu?.requests ?? 0), 0);
  const avg = (f) => rounds.reduce((s, r) => s + (f(r) ?? 0), 0) / rounds.length;
  const out = {
    count,
    windowMs,
    rps: count / (windowMs / 1000),
    roundsRps: rounds.map((r) => r.rps),
    ...merged((r) => r),
    statuses: sumStatuses(rounds.map((r) => r.statuses)),
    unexpected: rounds.reduce((s, r) => s + r.unexpected, 0),
    samples: rounds.flatMap((r) => r.samples).slice(0, 3),
    clientCpuPct: avg((r) => r.clientCpuPct),
    cpu: rounds[0].cpu && {
      serverUsPerRequest: serverNs / 1000 / requests,
      requests,
      workerdPct: avg((r) => r.cpu.workerdPct),
      loadgenPct: avg((r) => r.cpu.loadgenPct),
      otherPct: avg((r) => r.cpu.otherPct),
      otherPctMax: Math.max(...rounds.map((r) => r.cpu.otherPct)),
      loadavg: avg((r) => r.cpu.loadavg),
    },
  };
  if (rounds[0].proofs)
    out.proofs = Object.fromEntries(
      Object.keys(rounds[0].proofs).map((k) => [k, rounds.reduce((s, r) => s + (r.proofs[k] ?? 0), 0) / (/PerSecond|Ms$/.test(k) ? rounds.length : 1)]),
    );
  for (const sub of ["hold", "capture"])
    if (rounds[0][sub]) out[sub] = { rps: rounds.reduce((s, r) => s + r[sub].count, 0) / (windowMs / 1000), ...merged((r) => r[sub]) };
  return out;
}

function stripRaw(x) {
  if (!x || typeof x !== "object") return x;
  const { raw, ...rest } = x;
  for (const k of ["hold", "capture"]) if (rest[k]) rest[k] = stripRaw(rest[k]);
  return rest;
}

/**
 * The rotation: every row once per round, in order, `rounds` times. A row is
 * { key, server, make(window) → scenario }; the first round warms each row up.
 */
async function rotate(rows) {
  const got = Object.fromEntries(rows.map((r) => [r.key, []]));
  for (let round = 0; round < CONF.rounds; round++)
    for (const row of rows) {
      const win = { concurrency: CONF.concurrency, warmupMs: round === 0 ? CONF.warmupMs : CONF.laterWarmupMs, durationMs: CONF.durationMs };
      const res = await measure({ ...row.make(win), raw: CONF.rounds > 1, name: row.key }, row.server);
      got[row.key].push(res);
      say(`round ${round + 1}/${CONF.rounds} ${row.key}: ${fmtRps(res)}`);
    }
  return Object.fromEntries(Object.entries(got).map(([k, v]) => [k, aggregate(v)]));
}

const remit = new Remit(remitServer.url, ADMIN_TOKEN);
const FLOOR_KEYS = ["bare", "jwt", "do", "jwt-do", "jwt-dpop-do-sign"];
const results = { floors: {}, real: {}, pieces: {}, settlement: {}, proofs: {}, checks: {} };

// Every real and floor request carries the same headers and body bytes.
const AUTHORIZE_BODY = JSON.stringify({ scope: "http:GET:api.example.com/v1/x", amount: { asset: "USD", value: "1" } });
const HOLD_BODY = JSON.stringify({ scope: "http:GET:api.example.com/v1/x", amount: { asset: "USD", value: "5" } });

// Proofs for a dpop row: enough for this rate over the row's window, ×1.5; any
// shortfall is signed on the fly and counted.
let rateGuess = 3000;
const dpop = (agent, n) => ({ token: agent.token, seed: remit.agentSeed, pregen: n });
const pregen = (win, rps = rateGuess) => Math.ceil(((rps * (win.warmupMs + win.durationMs)) / 1000) * 1.5) + 300;

async function main() {
  const principal = await remit.createPrincipal();
  const d1 = await remit.chain(principal, 1);
  const d8 = await remit.chain(principal, 8);
  const holdTree = await remit.chain(principal, 1);
  const authorizeUrl = `${remitServer.url}/v1/authorize`;
  const sampleHeaders = {
    authorization: `DPoP ${d1.leaf.token}`,
    "content-type": "application/json",
    dpop: sdk.createProof(remit.agent, { method: "POST", url: authorizeUrl, accessToken: d1.leaf.token }),
  };

  results.proofs = await measure({ kind: "proof-rates", origin: remitServer.url, dpop: dpop(d1.leaf, 0) });
  say(
    `proofs in the load generator: SDK createProof with noble ${results.proofs.nobleProofsPerSecond.toFixed(0)}/s, with node:crypto ${results.proofs.nodeCryptoProofsPerSecond.toFixed(0)}/s`,
  );

  // Calibrate the proof pool once: a short authorize run (not reported).
  const cal = await measure(
    {
      name: "calibration",
      kind: "dpop",
      origin: remitServer.url,
      path: "/v1/authorize",
      method: "POST",
      body: AUTHORIZE_BODY,
      expectStatus: 200,
      dpop: dpop(d1.leaf, 4000),
      concurrency: CONF.concurrency,
      warmupMs: 300,
      durationMs: 700,
    },
    remitServer,
  );
  rateGuess = Math.max(500, cal.rps * 1.5);

  // ---------------------------------------------------------------- the rotation: floors and real paths
  const floorRow = (key, path) => ({
    key,
    server: floorsServer,
    make: (win) => ({ kind: "static", origin: floorsServer.url, path, method: "POST", headers: sampleHeaders, body: AUTHORIZE_BODY, expectStatus: 200, ...win }),
  });
  const authorizeRow = (key, agent) => ({
    key,
    server: remitServer,
    make: (win) => ({
      kind: "dpop",
      origin: remitServer.url,
      path: "/v1/authorize",
      method: "POST",
      body: AUTHORIZE_BODY,
      expectStatus: 200,
      dpop: dpop(agent, pregen(win)),
      ...win,
    }),
  });
  const reject = want("reject") ? await prepareRejection(principal) : null;
  const rows = [];
  if (want("floors") || want("authorize") || want("reject") || want("holds"))
    rows.push(
      floorRow("bare", "/floor/bare"),
      floorRow("jwt", "/floor/jwt"),
      floorRow("do", "/floor/do"),
      floorRow("jwt-do", "/floor/jwt-do"),
      floorRow("jwt-dpop-do-sign", "/floor/jwt-dpop-do-sign"),
    );
  if (want("authorize")) rows.push(authorizeRow("authorize-d1", d1.leaf), authorizeRow("authorize-d8", d8.leaf));
  if (want("authorize") && baselineServer) {
    const client = new Remit(baselineServer.url, ADMIN_TOKEN);
    client.agent = remit.agent;
    client.agentSeed = remit.agentSeed;
    const bp = await client.createPrincipal("baseline");
    for (const [key, depth] of [
      ["baseline-d1", 1],
      ["baseline-d8", 8],
    ]) {
      const chain = await client.chain(bp, depth);
      rows.push({
        key,
        server: baselineServer,
        make: (win) => ({
          kind: "dpop",
          origin: baselineServer.url,
          path: "/v1/authorize",
          method: "POST",
          body: AUTHORIZE_BODY,
          expectStatus: 200,
          dpop: dpop(chain.leaf, pregen(win)),
          ...win,
        }),
      });
    }
    results.baselineRef = `${args.baseline} (${baselineServer.ref})`;
  }
  if (reject)
    rows.push({
      key: "reject-bad-proof",
      server: remitServer,
      make: (win) => ({
        kind: "static",
        origin: remitServer.url,
        path: "/v1/authorize",
        method: "POST",
        headers: reject.headers,
        body: AUTHORIZE_BODY,
        expectStatus: 401,
        ...win,
      }),
    });
  if (want("holds"))
    rows.push({
      key: "hold-capture",
      server: remitServer,
      make: (win) => ({ kind: "hold-capture", origin: remitServer.url, body: HOLD_BODY, dpop: dpop(holdTree.leaf, pregen(win, rateGuess / 2)), ...win }),
    });
  const rotated = await rotate(rows);
  for (const [k, v] of Object.entries(rotated)) (FLOOR_KEYS.includes(k) ? results.floors : results.real)[k] = v;
  if (reject) await verifyRejection(reject, results.real["reject-bad-proof"]);
  if (settlement.ledgerStatus().exported) results.checks.outbox = await outboxCheck();

  // Unloaded latency (one request at a time): service time without queueing.
  if (want("authorize"))
    for (const [key, agent] of [
      ["authorize-d1-c1", d1.leaf],
      ["authorize-d8-c1", d8.leaf],
    ]) {
      const win = { concurrency: 1, warmupMs: QUICK ? 200 : 300, durationMs: QUICK ? 800 : 2000 };
      results.real[key] = stripRaw(
        await measure(
          {
            kind: "dpop",
            name: key,
            origin: remitServer.url,
            path: "/v1/authorize",
            method: "POST",
            body: AUTHORIZE_BODY,
            expectStatus: 200,
            dpop: dpop(agent, 3000),
            ...win,
          },
          remitServer,
        ),
      );
      say(`${key}: ${fmtRps(results.real[key])}`);
    }

  // ---------------------------------------------------------------- revocation
  if (want("revoke")) {
    const tb = performance.now();
    const tree = await remit.tree(principal, CONF.revokeTreeSize, 10, 32);
    const buildMs = performance.now() - tb;
    say(
      `revocation tree: ${tree.count} sessions (fan-out 10, watched leaf at depth ${tree.leaf.session.depth}) built through delegations in ${(buildMs / 1000).toFixed(1)}s`,
    );
    const r = await measure(
      {
        kind: "revoke",
        origin: remitServer.url,
        path: "/v1/authorize",
        body: AUTHORIZE_BODY,
        concurrency: CONF.concurrency,
        dpop: dpop(tree.leaf, 20_000),
        revoke: { session: tree.root.session.id, apiKey: principal.apiKey },
        beforeMs: QUICK ? 500 : 1000,
        afterMs: 300,
        maxMs: 15_000,
      },
      remitServer,
    );
    results.real.revoke = { ...r, sessions: tree.count, buildMs, leafDepth: tree.leaf.session.depth };
    say(
      `revoke: ${r.revokeMs.toFixed(1)} ms (${r.revokeResult.status} ${r.revokeResult.body.slice(0, 60)}), first refusal ${r.firstRefusalAfterSendMs?.toFixed(1)} ms after send; OK sent after return: ${r.okSentAfterReturn}`,
    );
  }

  // ---------------------------------------------------------------- revocation of a tree at its caps
  if (wantNamed("revoke-cap")) {
    // The largest tree the defaults allow: REMIT_MAX_SESSIONS_PER_TREE sessions (fan-out 10,
    // far under the 1,000 children per session), every one with 32 scopes of 256 characters
    // (the scope caps), so each row, token and event is as big as it may be.
    const scopes = [SCOPE, ...Array.from({ length: 31 }, (_, i) => `http:GET:api.example.com/pad${i}-${"x".repeat(256 - 30 - String(i).length)}*`)];
    if (scopes.some((sc) => sc.length > 256)) throw new Error("revoke-cap: a scope over 256 characters");
    const pid = remitServer.pid;
    const mem0 = memory(pid);
    const tb = performance.now();
    const tree = await remit.tree(principal, CONF.capTreeSize, 10, 32, scopes);
    const buildMs = performance.now() - tb;
    const memBuilt = memory(pid);
    say(`cap tree: ${tree.count} sessions × ${scopes.length} scopes built in ${(buildMs / 1000).toFixed(1)}s; workerd RSS ${mb(memBuilt.rss)} MB`);
    // One past the cap is refused, naming it.
    const over = await remit.agentCall(tree.leaf, "POST", "/v1/delegations", { agent_jwk: remit.agent.publicJwk, scopes: [SCOPE] });
    // The tree view: the first page, and every page at the largest size.
    const key = { authorization: `Bearer ${principal.apiKey}` };
    const tp = performance.now();
    const first = await remit.call("GET", `/v1/sessions/${tree.root.session.id}/tree`, { headers: key });
    const firstPageMs = performance.now() - tp;
    const tw = performance.now();
    let pages = 0;
    let seen = 0;
    let maxPageBytes = 0;
    for (let cursor = null; ; ) {
      const r = await remit.call("GET", `/v1/sessions/${tree.root.session.id}/tree?limit=500${cursor ? `&starting_after=${cursor}` : ""}`, { headers: key });
      if (r.status !== 200) throw new Error(`tree page: ${r.status} ${r.text.slice(0, 200)}`);
      pages++;
      seen += r.json.descendants.length;
      maxPageBytes = Math.max(maxPageBytes, r.text.length);
      if (!r.json.has_more) break;
      cursor = r.json.next_cursor;
    }
    const walkMs = performance.now() - tw;
    const memViewed = memory(pid);
    resetPeak(pid);
    const r = await measure(
      {
        kind: "revoke",
        origin: remitServer.url,
        path: "/v1/authorize",
        body: AUTHORIZE_BODY,
        concurrency: CONF.concurrency,
        dpop: dpop(tree.leaf, 20_000),
        revoke: { session: tree.root.session.id, apiKey: principal.apiKey },
        beforeMs: QUICK ? 500 : 1000,
        afterMs: 300,
        maxMs: 30_000,
      },
      remitServer,
    );
    const memRevoked = memory(pid);
    // The outbox drains the 10,000 session.revoked events on the tree's alarm, 1,000 per run.
    await new Promise((ok) => setTimeout(ok, 5000));
    const memDrained = memory(pid);
    results.real.revokeCap = {
      ...r,
      sessions: tree.count,
      scopesPerSession: scopes.length,
      scopeLength: Math.max(...scopes.map((sc) => sc.length)),
      buildMs,
      leafDepth: tree.leaf.session.depth,
      overCap: {
        status: over.status,
        problem: over.json?.type?.split("/problems/")[1] ?? null,
        cap: over.json?.cap ?? null,
        limit: over.json?.limit ?? null,
        current: over.json?.current ?? null,
      },
      view: {
        firstPageMs,
        firstPageStatus: first.status,
        firstPageSessions: first.json?.descendants?.length ?? null,
        firstPageBytes: first.text.length,
        pages,
        seen,
        walkMs,
        maxPageBytes,
      },
      memory: { start: mem0, built: memBuilt, viewed: memViewed, revoked: memRevoked, drained5s: memDrained },
    };
    say(
      `revoke-cap: ${r.revokeMs.toFixed(1)} ms (${r.revokeResult.status} ${r.revokeResult.body.slice(0, 60)}), first refusal ${r.firstRefusalAfterSendMs?.toFixed(1)} ms after send; OK sent after return: ${r.okSentAfterReturn}; ` +
        `workerd RSS ${mb(memViewed.rss)} → ${mb(memRevoked.rss)} MB (peak during revoke ${mb(memRevoked.hwm)} MB; anon ${mb(memViewed.anon)} → ${mb(memRevoked.anon)} MB), ${mb(memDrained.rss)} MB 5 s later; one past the cap: ${over.status} ${results.real.revokeCap.overCap.problem}`,
    );
  }

  // ---------------------------------------------------------------- pieces (attribution)
  if (CONF.pieces && want("pieces")) {
    const token = d1.leaf.token;
    const signedRow = (key, path) => ({
      key,
      server: floorsServer,
      make: (win) => ({
        kind: "dpop",
        origin: floorsServer.url,
        path,
        method: "POST",
        body: AUTHORIZE_BODY,
        expectStatus: 200,
        dpop: dpop({ token }, pregen(win, rateGuess * 2.5)),
        ...win,
      }),
    });
    const staticRow = (key, path) => ({
      key,
      server: floorsServer,
      make: (win) => ({ kind: "static", origin: floorsServer.url, path, method: "POST", headers: sampleHeaders, body: AUTHORIZE_BODY, expectStatus: 200, ...win }),
    });
    const treeAt = async (depth) => {
      const r = await fetch(`${floorsServer.url}/piece/tree-setup?depth=${depth}`, { method: "POST" });
      if (r.status !== 200) throw new Error(`tree-setup: ${r.status} ${await r.text()}`);
      const { key, session } = await r.json();
      return `/piece/tree-authorize?key=${key}&session=${session}`;
    };
    const saved = CONF.rounds;
    CONF.rounds = 1;
    Object.assign(
      results.pieces,
      await rotate([
        signedRow("token", "/piece/token"),
        signedRow("dpop", "/piece/dpop"),
        signedRow("edge-auth", "/piece/edge-auth"),
        signedRow("edge-auth-do", "/piece/edge-auth-do"),
        staticRow("do-sign", "/piece/do-sign"),
        staticRow("do-sign-native", "/piece/do-sign-native"),
        staticRow("tree-authorize-d1", await treeAt(1)),
        staticRow("tree-authorize-d8", await treeAt(8)),
      ]),
    );
    CONF.rounds = saved;
  }

  // ---------------------------------------------------------------- settlement
  if (want("settlement")) {
    const n = QUICK ? 10_000 : 50_000;
    results.settlement.merkleNode = settlement.merkleNode(sdk, { n, batch: 1000 });
    results.settlement.merkleWorkerd = await settlement.merkleWorkerd(floorsServer.url, { n, batch: 1000 });
    say(`merkle: node ${results.settlement.merkleNode.fromLeafHash.toFixed(0)}/s, workerd ${results.settlement.merkleWorkerd.fromLeafHash.toFixed(0)}/s`);
    results.settlement.ledgerStatus = settlement.ledgerStatus();
    if (results.settlement.ledgerStatus.exported) {
      results.settlement.ledgerShard = await settlement.ledgerShard(floorsServer.url, { quick: QUICK });
      say(
        `ledger DO: ${results.settlement.ledgerShard.chunk100.perSecond.toFixed(0)} receipts/s per shard in 100-receipt appends, ${results.settlement.ledgerShard.chunk1.perSecond.toFixed(0)}/s in 1-receipt appends`,
      );
      if (CONF.gas) {
        results.settlement.gas = await settlement.anchorGas({
          startWorker,
          build: build.remit,
          bindings: BINDINGS,
          stateDir: join(CONF.stateDir, "gas"),
          adminToken: ADMIN_TOKEN,
          sizes: CONF.gasSizes,
        });
        say(
          `anchor gas: ${results.settlement.gas.rows.map((r) => `${r.requested} receipts → ${r.gasPerPeriod.join(" + ")} gas (${r.periods.length} period(s), ${r.receipts} anchored)`).join(", ")}`,
        );
      }
    }
  }

  // ---------------------------------------------------------------- on-chain enforcement, side by side (bench/onchain.mjs)
  if (want("onchain") && !args["no-onchain"]) {
    const { onchain } = await import("./onchain.mjs");
    results.onchain = await onchain({
      quick: QUICK,
      remit,
      startWorker,
      build: build.remit,
      bindings: BINDINGS,
      stateDir: CONF.stateDir,
      adminToken: ADMIN_TOKEN,
      settlementGas: results.settlement.gas,
      say,
    });
  }

  // ---------------------------------------------------------------- budget leases: requests reaching the root's object (bench/leases.mjs)
  if (want("leases") && !args["no-leases"]) {
    const { leases } = await import("./leases.mjs");
    results.leases = await leases({ quick: QUICK, remit, say });
  }

  // ---------------------------------------------------------------- what-if: the proposed fixes, measured
  if (args["what-if"]) results.whatif = await whatIf();

  // ---------------------------------------------------------------- CPU profile of workerd
  if (CONF.profile && want("profile")) {
    const { profileAuthorize } = await import("./lib/profile.mjs");
    results.profile = await profileAuthorize({
      build,
      bindings: BINDINGS,
      stateDir: join(CONF.stateDir, "profile"),
      adminToken: ADMIN_TOKEN,
      measure,
      Remit,
      resultsDir: join(BENCH, "results"),
      stamp,
      durationMs: 4000,
      scenario: (origin, agent, win, seed) => ({
        kind: "dpop",
        origin,
        path: "/v1/authorize",
        method: "POST",
        body: AUTHORIZE_BODY,
        expectStatus: 200,
        dpop: { token: agent.token, seed, pregen: pregen({ ...win, warmupMs: 0 }) },
        concurrency: CONF.concurrency,
        ...win,
      }),
    });
    say(`profile: ${results.profile.file}`);
  }
}

/**
 * The proposed server fixes, each applied to a copy of the sources and built the
 * same way, measured in the same rotation as this build's authorize.
 */
async function whatIf() {
  const { patchedTree } = await import("./lib/whatif.mjs");
  const { wranglerBundle, configCopy } = await import("./lib/build.mjs");
  const variants = [
    ["native-crypto", ["native-sign", "native-leaf"]],
    ["all-fixes", ["native-sign", "native-leaf", "coalesce-drain", "coalesce-drain-rearm", "meta-cache", "token-cache"]],
  ];
  const out = { variants: {} };
  const servers = [];
  try {
    const rows = [];
    const rejectRow = async (key, server) => {
      const token = await serviceToken(SIGNING_KEY, {
        iss: "remit",
        sub: `ses_benchneverTRE${"1".repeat(13)}`,
        tree: `tre_benchneverTRE${"0".repeat(13)}`,
        prn: "prn_bench",
        scope: SCOPE,
        depth: 0,
        cnf: { jkt: await thumbprint(remit.agent.publicJwk) },
      });
      const bad = tamperedProof(sdk.createProof(remit.agent, { method: "POST", url: `${server.url}/v1/authorize`, accessToken: token }));
      return {
        key,
        server,
        make: (win) => ({
          kind: "static",
          origin: server.url,
          path: "/v1/authorize",
          method: "POST",
          headers: { authorization: `DPoP ${token}`, dpop: bad, "content-type": "application/json" },
          body: AUTHORIZE_BODY,
          expectStatus: 401,
          ...win,
        }),
      };
    };
    rows.push(await rejectRow("baseline-reject", remitServer));
    const base = await remit.chain(await remit.createPrincipal("whatif-base"), 1);
    rows.push({
      key: "baseline-d1",
      server: remitServer,
      make: (win) => ({
        kind: "dpop",
        origin: remitServer.url,
        path: "/v1/authorize",
        method: "POST",
        body: AUTHORIZE_BODY,
        expectStatus: 200,
        dpop: dpop(base.leaf, pregen(win)),
        ...win,
      }),
    });
    for (const [name, patches] of variants) {
      const tree = await patchedTree(name, patches);
      const script = await wranglerBundle(tree.config, join(BUILD, "whatif", `${name}-bundle`));
      const config = await configCopy(tree.config, join(BUILD, "whatif", `${name}-config`));
      const server = await startWorker({ build: { script, config }, bindings: BINDINGS, stateDir: join(CONF.stateDir, `whatif-${name}`) });
      servers.push(server);
      const client = new Remit(server.url, ADMIN_TOKEN);
      client.agent = remit.agent;
      client.agentSeed = remit.agentSeed;
      const p = await client.createPrincipal(`whatif-${name}`);
      const d1w = await client.chain(p, 1);
      const d8w = await client.chain(p, 8);
      out.variants[name] = { applied: tree.applied, skipped: tree.skipped };
      say(`what-if ${name}: applied ${tree.applied.join(", ") || "nothing"}${tree.skipped.length ? `; NOT applied (source changed): ${tree.skipped.join(", ")}` : ""}`);
      if (patches.includes("token-cache")) rows.push(await rejectRow(`${name}-reject`, server));
      for (const [key, agent] of [
        [`${name}-d1`, d1w.leaf],
        [`${name}-d8`, d8w.leaf],
      ])
        rows.push({
          key,
          server,
          make: (win) => ({
            kind: "dpop",
            origin: server.url,
            path: "/v1/authorize",
            method: "POST",
            body: AUTHORIZE_BODY,
            expectStatus: 200,
            dpop: dpop(agent, pregen(win)),
            ...win,
          }),
        });
    }
    const saved = CONF.rounds;
    CONF.rounds = 2;
    out.rows = await rotate(rows);
    CONF.rounds = saved;
  } finally {
    await Promise.allSettled(servers.map((s) => s.stop()));
  }
  return out;
}

/**
 * A request whose DPoP proof fails its signature (everything before it passes: token
 * signature, claims, proof header, key binding by jkt), and the evidence that it
 * never reaches a Durable Object. The session token is a genuine service-signed
 * token for a tree that was never created, so a request that reached SessionTree
 * would create that object, and Miniflare's listDurableObjectIds (the objects'
 * SQLite files) would show it. A positive control afterwards sends ONE request with
 * a good proof and the same token, and the object does then appear.
 */
async function prepareRejection(principal) {
  const treeKey = "benchneverTRE"; // 13 characters, like every tree key
  const tree = `tre_${treeKey}${"0".repeat(13)}`;
  const token = await serviceToken(SIGNING_KEY, {
    iss: "remit",
    sub: `ses_${treeKey}${"1".repeat(13)}`,
    tree,
    prn: principal.id,
    scope: SCOPE,
    depth: 0,
    cnf: { jkt: await thumbprint(remit.agent.publicJwk) },
  });
  const url = `${remitServer.url}/v1/authorize`;
  const bad = tamperedProof(sdk.createProof(remit.agent, { method: "POST", url, accessToken: token }));
  const ns = await remitServer.mf.getDurableObjectNamespace("SESSION_TREE");
  const objectId = ns.idFromName(treeKey).toString();
  const before = await remitServer.mf.listDurableObjectIds("SESSION_TREE");
  return { token, url, objectId, before, headers: { authorization: `DPoP ${token}`, dpop: bad, "content-type": "application/json" } };
}

async function verifyRejection(p, r) {
  const after = await remitServer.mf.listDurableObjectIds("SESSION_TREE");
  const control = await remit.call("POST", "/v1/authorize", {
    body: AUTHORIZE_BODY,
    headers: { authorization: `DPoP ${p.token}`, dpop: sdk.createProof(remit.agent, { method: "POST", url: p.url, accessToken: p.token }) },
  });
  const afterControl = await remitServer.mf.listDurableObjectIds("SESSION_TREE");
  const e = {
    method: "service-signed token for a never-created tree; Miniflare listDurableObjectIds(SESSION_TREE) before/after; positive control",
    objectId: p.objectId,
    treeObjectsBefore: p.before.length,
    treeObjectsAfter: after.length,
    objectExistsAfterRejections: after.includes(p.objectId),
    rejectedRequests: r.count + 0,
    rejectedRequestsAll: r.cpu?.requests ?? null,
    responses: r.statuses,
    sampleResponse: r.samples?.[0] ?? null,
    controlResponse: `${control.status} ${control.json?.type?.split("/problems/")[1] ?? ""}: ${control.json?.detail ?? ""}`,
    objectExistsAfterControl: afterControl.includes(p.objectId),
  };
  const ok = !e.objectExistsAfterRejections && p.before.length === after.length && e.objectExistsAfterControl && r.unexpected === 0;
  results.checks.rejectionNeverReachesDO = { ok, ...e };
  say(
    `bad proof: after ${e.rejectedRequestsAll} rejections tree object ${e.objectExistsAfterRejections ? "EXISTS" : "absent"} (${p.before.length} → ${after.length} tree objects); after 1 good proof (${e.controlResponse}): ${e.objectExistsAfterControl ? "exists" : "ABSENT"}`,
  );
}

/**
 * Did the receipts of the timed rows reach the ledger? The trees' outboxes drain on
 * their alarms; after the rotation, the shards' `stats` (through Miniflare's DO
 * proxy) against the receipts the load generator was given (every 200/201).
 */
async function outboxCheck() {
  // Every authorize 200 and capture 200 of the run so far made one receipt (warm-ups and calibration included).
  const made = receiptsMade;
  const ns = await remitServer.mf.getDurableObjectNamespace("LEDGER");
  const read = async () => {
    let received = 0;
    let open = 0;
    let batches = 0;
    for (let shard = 0; shard < 4; shard++) {
      const st = await ns.get(ns.idFromName(`shard-${shard}`)).stats(shard);
      received += st.received;
      open += st.open;
      batches += st.batches;
    }
    return { received, open, batches };
  };
  const t = performance.now();
  let now = await read();
  // Give the alarms a moment to ship the last receipts.
  while (now.received < made && performance.now() - t < 3000) {
    await new Promise((r) => setTimeout(r, 250));
    now = await read();
  }
  const out = { receiptsMadeApprox: Math.round(made), ...now, waitedMs: Math.round(performance.now() - t) };
  say(
    `outbox → ledger: ~${out.receiptsMadeApprox} receipts made in the timed rows; shards received ${out.received} (${out.batches} batches sealed, ${out.open} waiting) after ${out.waitedMs} ms`,
  );
  return out;
}

/** workerd's resident memory (VmRSS) and its peak since the last reset (VmHWM), in bytes (Linux /proc). */
function memory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
    // RssAnon: private memory (V8 heaps, SQLite's cache); RssFile/RssShmem: mapped files, e.g. the DO SQLite files on tmpfs.
    return { rss: kb("VmRSS"), hwm: kb("VmHWM"), anon: kb("RssAnon"), file: kb("RssFile"), shmem: kb("RssShmem") };
  } catch {
    return { rss: null, hwm: null, anon: null, file: null, shmem: null };
  }
}

/** Resets workerd's peak RSS (VmHWM) to its current RSS, so the next peak is the next step's. */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch (e) {
    say(`cannot reset workerd's peak RSS (${e.message}): the peak shown is since start`);
  }
}

const mb = (bytes) => (bytes == null || Number.isNaN(bytes) ? "?" : (bytes / 2 ** 20).toFixed(0));

function fmtRps(r) {
  const cpu = r.cpu ? `, workerd ${r.cpu.serverUsPerRequest?.toFixed(0)} µs CPU/req, other load ${r.cpu.otherPct.toFixed(0)}%` : "";
  return `${r.rps.toFixed(0)} req/s, p50 ${r.p50?.toFixed(2)} ms, p99 ${r.p99?.toFixed(2)} ms${cpu}${r.unexpected ? ` — ${r.unexpected} UNEXPECTED: ${r.samples[0]}` : ""}`;
}

// ------------------------------------------------------------------ report
let failure = null;
try {
  await main();
} catch (e) {
  failure = e;
  console.error(e);
} finally {
  loadgen.kill();
  await Promise.allSettled([remitServer.stop(), floorsServer.stop(), baselineServer?.stop()]);
  if (!args["state-dir"]) await rm(CONF.stateDir, { recursive: true, force: true });
}

const { report } = await import("./lib/report.mjs");
const out = report(results, CONF);
console.log(out.table);

const git = (() => {
  try {
    return {
      commit: execSync("git rev-parse HEAD", { cwd: ROOT }).toString().trim(),
      dirty: execSync("git status --porcelain", { cwd: ROOT }).toString().trim().length > 0,
    };
  } catch {
    return null;
  }
})();
// The on-chain comparison: its own table, its targets with the others, and bench/results/onchain.json.
let onchainFile = null;
if (results.onchain) {
  const { onchainReport, writeOnchain } = await import("./onchain.mjs");
  const oc = onchainReport(results.onchain);
  console.log(oc.table);
  out.targets.push(...oc.targets);
  onchainFile = await writeOnchain(results.onchain, { startedAt: startedAt.toISOString(), mode: QUICK ? "quick" : "full", git, targets: oc.targets });
}
// Budget leases: the same, bench/results/leases.json.
let leasesFile = null;
if (results.leases) {
  const { leasesReport, writeLeases } = await import("./leases.mjs");
  const lr = leasesReport(results.leases);
  console.log(lr.table);
  out.targets.push(...lr.targets);
  leasesFile = await writeLeases(results.leases, { startedAt: startedAt.toISOString(), mode: QUICK ? "quick" : "full", git, targets: lr.targets });
}
const json = {
  startedAt: startedAt.toISOString(),
  durationS: (performance.now() - t0) / 1000,
  mode: QUICK ? "quick" : "full",
  config: CONF,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version },
  git,
  bundles: Object.fromEntries(
    await Promise.all(
      [
        ["remit", build.remit.script],
        ["floors", build.floors.script],
      ].map(async ([k, f]) => [
        k,
        (await import("node:crypto"))
          .createHash("sha256")
          .update(await (await import("node:fs/promises")).readFile(f))
          .digest("hex")
          .slice(0, 16),
      ]),
    ),
  ),
  targets: out.targets,
  results,
  error: failure ? String(failure.stack ?? failure) : null,
};
await mkdir(join(BENCH, "results"), { recursive: true });
await writeFile(join(BENCH, "results", `${stamp}.json`), JSON.stringify(json, null, 2));
await writeFile(join(BENCH, "results", "latest.json"), JSON.stringify(json, null, 2));
// The authorize figures of issue 17 under a stable name: each floor and real path's CPU per request, the targets, the profile.
let authorizeFile = false;
if (results.real["authorize-d1"]) {
  const figure = (x) =>
    x && { rps: x.rps, p50: x.p50, p99: x.p99, cpuUsPerRequest: x.cpu?.serverUsPerRequest ?? null, otherPct: x.cpu?.otherPct ?? null, requests: x.cpu?.requests ?? null };
  const p = results.profile?.summary;
  await writeFile(
    join(BENCH, "results", "authorize.json"),
    JSON.stringify(
      {
        startedAt: json.startedAt,
        mode: json.mode,
        config: { concurrency: CONF.concurrency, rounds: CONF.rounds, durationMs: CONF.durationMs },
        git,
        baseline: results.baselineRef ?? null,
        floors: Object.fromEntries(Object.entries(results.floors).map(([k, v]) => [k, figure(v)])),
        real: Object.fromEntries(
          Object.entries(results.real)
            .filter(([k]) => /^(authorize|baseline)/.test(k))
            .map(([k, v]) => [k, figure(v)]),
        ),
        pieces: Object.fromEntries(Object.entries(results.pieces).map(([k, v]) => [k, figure(v)])),
        targets: out.targets.filter((t) => /authorize/.test(t.name)),
        profile: p && {
          file: results.profile.file,
          busyUsPerRequest: p.busyUsPerRequest,
          byModule: p.byModule.slice(0, 20),
          byFunction: p.byFunction.slice(0, 20),
          inclusive: p.inclusive,
        },
      },
      null,
      2,
    ),
  );
  authorizeFile = true;
}
say(
  `results: bench/results/${stamp}.json (and latest.json${onchainFile ? ", onchain.json" : ""}${leasesFile ? ", leases.json" : ""}${authorizeFile ? ", authorize.json" : ""}); total ${elapsed()}`,
);
process.exit(failure ? 1 : 0);
