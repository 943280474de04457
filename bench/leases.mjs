#!/usr/bin/env node
// npm run bench:leases   →   node bench/leases.mjs [--quick]
// (also a section of `npm run bench`: bench/run.mjs calls leases() below, on its own worker)
//
// Budget leases: how many requests reach the root's object per 1,000 spends when the
// spenders live in objects of their own. One principal, one root (a 10^30 USD budget, no
// calls or rate limit: either would refuse own_object), 16 children delegated with
// `placement: "own_object"`. Each child spends under a lease from the root's object (slices
// of the root budget, reserved in the root's counters, refilled as they run low); every
// refill, renewal and report is a request to the root's object, and the root's tree view
// counts them per child (`lease.requests`, placement excluded).
//
//   1. the tree view before any spend: R0 (0 expected)
//   2. 1,000 POST /v1/authorize of 1 USD, 62–63 per child, 4 in flight per child (64 in all),
//      every one 200; wall time per spend (p50/p99) and the run's elapsed time
//   3. the tree view again: R1; root requests per 1,000 spends = (R1 − R0) × 1,000 ÷ spends,
//      target ≤ 50 (≤ 0.05 per spend)
//   4. a longer run on the same (now warm) children, 10,000 spends (quick: 2,000): the
//      steady state's root requests per 1,000 spends (a measurement)
//
// Today (children in the root's object, no placement) every spend is decided in the root's
// object: 1,000 requests per 1,000 spends, exactly, by construction (not measured). The
// ceilings in spends/s are derived from the measured ratio and Cloudflare's documented
// per-object throughput, not measured: this machine's 2 cores are shared by every object,
// so it cannot show the speed-up itself.
//
// Prints a table (figure, value, target, met) and writes bench/results/leases.json.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { BENCH, ROOT } from "./lib/paths.mjs";

const AUTHORIZE_SCOPE = "http:GET:api.example.com/x";
const AUTHORIZE_BODY = JSON.stringify({ scope: AUTHORIZE_SCOPE, amount: { asset: "USD", value: "1" } });
/** Root-object requests per 1,000 spends, at most (0.05 per spend). */
export const LEASE_TARGET = 50;
/** Cloudflare's documented throughput of one Durable Object: ~1,000 requests/s, 200–500/s when each request writes (every spend writes). */
const PER_OBJECT = [500, 1000];

const quantile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null);
const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99), min: s[0] ?? null, max: s[s.length - 1] ?? null };
};

/**
 * @param {{
 *   quick: boolean,
 *   remit: import("./lib/remit.mjs").Remit,   client of a running worker (setup and spends over its HTTP API)
 *   children?: number, inFlightPerChild?: number, spends?: number, sustainedSpends?: number,
 *   say?: (m: string) => void,
 * }} o
 */
export async function leases(o) {
  const say = o.say ?? (() => {});
  const t0 = performance.now();
  const { loadavg, cpus } = await import("node:os");
  const load0 = loadavg()[0];
  const { sdk } = await import("./lib/keys.mjs");
  const { SCOPE } = await import("./lib/remit.mjs");
  const remit = o.remit;
  const plan = {
    children: o.children ?? 16,
    inFlightPerChild: o.inFlightPerChild ?? 4,
    spends: o.spends ?? 1000,
    sustainedSpends: o.sustainedSpends ?? (o.quick ? 2000 : 10_000),
  };

  const principal = await remit.createPrincipal("bench-leases");
  const bearer = { authorization: `Bearer ${principal.apiKey}` };
  const root = await remit.grant(principal, 2);
  const children = await Promise.all(
    Array.from({ length: plan.children }, async () => {
      const r = await remit.agentCall(root, "POST", "/v1/delegations", { agent_jwk: remit.agent.publicJwk, scopes: [SCOPE], placement: "own_object" });
      if (r.status !== 201) throw new Error(`delegate (placement own_object): ${r.status} ${r.text}`);
      return { token: r.json.token, session: r.json.session };
    }),
  );
  say(`leases: root ${root.session.id}, ${children.length} children in objects of their own`);

  /** Every leased child's `lease` in the root's tree view (all pages). */
  const treeLeases = async () => {
    const out = new Map();
    let cursor = null;
    do {
      const r = await remit.call("GET", `/v1/sessions/${root.session.id}/tree${cursor ? `?starting_after=${cursor}` : ""}`, { headers: bearer });
      if (r.status !== 200) throw new Error(`tree view: ${r.status} ${r.text}`);
      for (const d of r.json.descendants) if (d.lease) out.set(d.id, d.lease);
      cursor = r.json.has_more ? r.json.next_cursor : null;
    } while (cursor);
    for (const c of children) if (!out.has(c.session.id)) throw new Error(`tree view: child ${c.session.id} has no lease (placement own_object not recorded)`);
    return out;
  };
  const requestsOf = (view) => [...view.values()].reduce((s, l) => s + l.requests, 0);

  /** `n` spends spread evenly over the children, `inFlightPerChild` in flight per child; every one must be 200. */
  const spend = async (n) => {
    const ms = [];
    const per = children.map((_, i) => Math.floor(n / children.length) + (i < n % children.length ? 1 : 0));
    const url = `${remit.url}/v1/authorize`;
    const started = performance.now();
    await Promise.all(
      children.map(async (child, i) => {
        let left = per[i];
        await Promise.all(
          Array.from({ length: plan.inFlightPerChild }, async () => {
            while (left > 0) {
              left--;
              const proof = sdk.createProof(remit.agent, { method: "POST", url, accessToken: child.token });
              const t = performance.now();
              const r = await remit.call("POST", "/v1/authorize", { body: AUTHORIZE_BODY, headers: { authorization: `DPoP ${child.token}`, dpop: proof } });
              ms.push(performance.now() - t);
              if (r.status !== 200) throw new Error(`authorize by leased child ${child.session.id}: ${r.status} ${r.text}`);
            }
          }),
        );
      }),
    );
    const elapsedMs = performance.now() - started;
    return { spends: n, perChild: { min: Math.min(...per), max: Math.max(...per) }, ms: summary(ms), elapsedMs, spendsPerSecond: (n * 1000) / elapsedMs };
  };

  const phase = async (name, n, before) => {
    const run = await spend(n);
    const after = await treeLeases();
    const R0 = requestsOf(before);
    const R1 = requestsOf(after);
    const perChild = children.map((c) => after.get(c.session.id).requests - before.get(c.session.id).requests);
    const out = {
      ...run,
      R0,
      R1,
      rootRequests: R1 - R0,
      rootRequestsPer1000Spends: ((R1 - R0) * 1000) / n,
      requestsPerChild: summary(perChild),
      leases: children.map((c) => ({ session: c.session.id, ...after.get(c.session.id) })),
    };
    say(
      `leases: ${name}: ${n} spends in ${(run.elapsedMs / 1000).toFixed(1)} s (p50 ${run.ms.p50.toFixed(1)} ms, p99 ${run.ms.p99.toFixed(1)} ms); ` +
        `root requests ${R0} → ${R1} (${out.rootRequestsPer1000Spends.toFixed(1)} per 1,000 spends; per child ${out.requestsPerChild.min}–${out.requestsPerChild.max})`,
    );
    return { run: out, after };
  };

  const v0 = await treeLeases();
  const first = await phase("first", plan.spends, v0);
  const sustained = plan.sustainedSpends > 0 ? (await phase("sustained", plan.sustainedSpends, first.after)).run : null;

  const result = {
    quick: o.quick,
    plan,
    machine: { cpus: cpus().length, loadavg1: loadavg()[0], loadavg1AtStart: load0 },
    root: root.session.id,
    first: first.run,
    sustained,
    durationS: (performance.now() - t0) / 1000,
  };
  result.figures = figures(result);
  return result;
}

/** Every figure with its target (or none: a measurement) and met. */
function figures(r) {
  const out = [];
  const fig = (key, figure, value, unit, extra = {}) => out.push({ key, figure, value, unit, target: null, met: null, note: "", ...extra });
  const target = (op, limit, value) => ({ op, limit, met: op === "<=" ? value <= limit : op === ">=" ? value >= limit : value === limit });
  const F = r.first;
  const S = r.sustained;
  const children = r.plan.children;
  const slices = (run) => run.leases.map((l) => l.slices.reduce((s, x) => s + BigInt(x.granted), 0n));

  // ------------------------------------------------ requests reaching the root's object
  fig(
    "leases.rootRequestsPer1000Spends",
    `root-object requests per 1,000 spends (${F.spends.toLocaleString("en")} spends, cold children)`,
    F.rootRequestsPer1000Spends,
    "req",
    {
      target: `<= ${LEASE_TARGET}`,
      ...target("<=", LEASE_TARGET, F.rootRequestsPer1000Spends),
      note:
        `Σ lease.requests ${F.R0} before → ${F.R1} after (refills, renewals, reports; placement excluded); per child ${F.requestsPerChild.min}–${F.requestsPerChild.max}; ` +
        `${children} children × ${r.plan.inFlightPerChild} in flight, ${F.perChild.min}–${F.perChild.max} spends each`,
    },
  );
  if (S)
    fig(
      "leases.sustained.rootRequestsPer1000Spends",
      `root-object requests per 1,000 spends, sustained (${S.spends.toLocaleString("en")} spends, warm)`,
      S.rootRequestsPer1000Spends,
      "req",
      {
        note: `${S.rootRequests} requests (per child ${S.requestsPerChild.min}–${S.requestsPerChild.max}); slices granted per child after it ${fmtBig(minBig(slices(S)))}–${fmtBig(maxBig(slices(S)))} USD minor units`,
      },
    );
  if (S)
    fig(
      "leases.sustained.rootRequestsPerChildPerSecond",
      "sustained: root-object requests per child per second",
      S.rootRequests / children / (S.elapsedMs / 1000),
      "req/s",
      {
        note: `refills are sized to ~10 s of each child's recent rate: the root's load follows the number of children more than their spend rate (${fmt(S.spendsPerSecond / children)} spends/s per child here)`,
      },
    );
  fig("leases.today.rootRequestsPer1000Spends", "today (children in the root's object): root-object requests per 1,000 spends", 1000, "req", {
    note: "exact by construction, not measured: without placement every spend is decided in the root's object",
  });

  // ------------------------------------------------ wall time on this machine
  fig("leases.spendMs.p50", "authorize by a leased child, wall (p50)", F.ms.p50, "ms", {
    note: `n ${F.ms.n}, ${children * r.plan.inFlightPerChild} in flight on shared cores (mostly queueing: ≈ in flight ÷ throughput); includes each child's first refill`,
  });
  fig("leases.spendMs.p99", "authorize by a leased child, wall (p99)", F.ms.p99, "ms", { note: `max ${fmt(F.ms.max)} ms` });
  fig("leases.elapsedS", `${F.spends.toLocaleString("en")} spends, elapsed`, F.elapsedMs / 1000, "s", {
    note: `${fmt(F.spendsPerSecond)} spends/s on this machine (${r.machine.cpus} cores shared by every object, the client included: not the ceiling)`,
  });
  if (S) {
    fig("leases.sustained.spendMs.p50", "sustained: authorize by a leased child, wall (p50)", S.ms.p50, "ms", { note: `p99 ${fmt(S.ms.p99)} ms, n ${S.ms.n}` });
    fig("leases.sustained.spendMs.p99", "sustained: authorize by a leased child, wall (p99)", S.ms.p99, "ms", { note: `max ${fmt(S.ms.max)} ms` });
    fig("leases.sustained.elapsedS", `sustained: ${S.spends.toLocaleString("en")} spends, elapsed`, S.elapsedMs / 1000, "s", {
      note: `${fmt(S.spendsPerSecond)} spends/s on this machine (shared cores: not the ceiling)`,
    });
  }

  // ------------------------------------------------ derived ceilings (from the measured ratio, not measured speed)
  const basis = S ?? F;
  const perSpend = basis.rootRequestsPer1000Spends / 1000;
  const basisNote = `derived, not measured: from the ${S ? "sustained" : "first"} run's ${fmt(basis.rootRequestsPer1000Spends)} root requests per 1,000 spends and Cloudflare's documented ~1,000 req/s per object (200–500/s when each request writes)`;
  for (const per of PER_OBJECT) {
    const rootBound = perSpend > 0 ? per / perSpend : Number.POSITIVE_INFINITY;
    const childrenBound = children * per;
    const ceiling = Math.min(rootBound, childrenBound);
    fig(`leases.derived.today.spendsPerSecond.perObject${per}`, `derived: today's ceiling for one root budget at ${per}/s per object`, per, "spends/s", {
      note: "every spend goes through the root's object: the per-object ceiling",
    });
    fig(`leases.derived.rootBound.spendsPerSecond.perObject${per}`, `derived: leases, root-bound ceiling at ${per}/s per object`, rootBound, "spends/s", {
      note: `${per} ÷ ${fmt(perSpend)} root requests per spend`,
    });
    fig(`leases.derived.childrenBound.spendsPerSecond.perObject${per}`, `derived: leases, children bound at ${per}/s per object`, childrenBound, "spends/s", {
      note: `${children} children × ${per}`,
    });
    fig(`leases.derived.spendsPerSecond.perObject${per}`, `derived: leases, sustained ceiling at ${per}/s per object`, ceiling, "spends/s", {
      note: `min(root bound, children bound): ${fmt(ceiling / per)}× today's; ${basisNote}`,
    });
  }
  fig(
    "leases.derived.ratioVsToday",
    "derived: leased ceiling ÷ today's (either per-object figure)",
    Math.min(perSpend > 0 ? 1 / perSpend : Number.POSITIVE_INFINITY, children),
    "×",
    {
      note: `min(1 ÷ root requests per spend, ${children} children)`,
    },
  );
  return out;
}

const minBig = (xs) => xs.reduce((a, b) => (b < a ? b : a), xs[0] ?? 0n);
const maxBig = (xs) => xs.reduce((a, b) => (b > a ? b : a), xs[0] ?? 0n);
const fmtBig = (x) => x.toLocaleString("en");

function fmt(x) {
  if (x == null || typeof x !== "number") return x == null ? "—" : String(x);
  if (!Number.isFinite(x)) return "∞";
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 100 ? Math.round(x).toLocaleString("en") : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

/** The printed table and the targets in bench/run.mjs's shape (name, value, op, limit, met, note). */
export function leasesReport(r) {
  const W = [74, 16, 17, 4];
  const pad = (s, w, right = true) => (right ? String(s).padStart(w) : String(s).padEnd(w));
  const lines = [""];
  lines.push(
    `Budget leases: requests reaching the root's object (16 children placed in objects of their own; ${r.quick ? "quick" : "full"} run, ${r.durationS.toFixed(0)} s)`,
  );
  lines.push(
    `  machine: ${r.machine.cpus} CPUs, 1-min load average ${r.machine.loadavg1AtStart.toFixed(1)} at start, ${r.machine.loadavg1.toFixed(1)} at end; the request count is the measure, the spends/s ceilings are derived from it`,
  );
  lines.push([pad("figure", W[0], false), pad("value", W[1]), pad("target", W[2]), pad("met", W[3])].join(" "));
  lines.push("-".repeat(W.reduce((a, b) => a + b + 1, 0)));
  for (const f of r.figures) {
    const value = typeof f.value === "number" ? `${fmt(f.value)}${f.unit ? ` ${f.unit}` : ""}` : String(f.value);
    const kind = f.key.startsWith("leases.derived.") ? "(derived)" : f.key.startsWith("leases.today.") ? "(by construction)" : "(measured)";
    lines.push([pad(f.figure, W[0], false), pad(value, W[1]), pad(f.target ?? kind, W[2]), pad(f.met == null ? "" : f.met ? "MET" : "MISS", W[3])].join(" "));
    if (f.note) lines.push(`      ${f.note}`);
  }
  const targets = r.figures
    .filter((f) => f.met != null)
    .map((f) => ({ name: `leases ${f.key}: ${f.figure}`, value: +f.value.toFixed(3), op: f.op, limit: f.limit, met: f.met, note: f.note }));
  return { table: lines.join("\n"), targets };
}

/** JSON-safe: Infinity (a root bound with no root requests) is written as null. */
const finite = (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v);

export async function writeLeases(result, extra = {}) {
  await mkdir(join(BENCH, "results"), { recursive: true });
  const file = join(BENCH, "results", "leases.json");
  await writeFile(file, JSON.stringify({ ...extra, ...result }, finite, 2));
  return file;
}

// ------------------------------------------------------------------ standalone
async function standalone() {
  const { values: args } = parseArgs({ options: { quick: { type: "boolean", default: false }, help: { type: "boolean", default: false } } });
  if (args.help) {
    console.log("node bench/leases.mjs [--quick]   (npm run bench:leases) — root-object requests per 1,000 spends under budget leases; writes bench/results/leases.json");
    return 0;
  }
  const { existsSync } = await import("node:fs");
  const { rm } = await import("node:fs/promises");
  const { execSync } = await import("node:child_process");
  const { BUILD, configCopy, nodeBundle, wranglerBundle } = await import("./lib/build.mjs");
  const { startWorker } = await import("./lib/server.mjs");
  const t0 = performance.now();
  const say = (m) => console.error(`[leases ${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}`);
  // Its own build directory: another bench building bench/.build/remit at the same time is left alone.
  const [script, node, config] = await Promise.all([
    wranglerBundle(join(ROOT, "wrangler.toml"), join(BUILD, "leases", "remit")),
    nodeBundle(),
    configCopy(join(ROOT, "wrangler.toml"), join(BUILD, "leases", "config")),
  ]);
  process.env.REMIT_BENCH_NODE_BUNDLE = node;
  const ADMIN_TOKEN = "bench-operator-token";
  // REMIT_REQUEST_LOG off: one JSON line per request on stdout would bury the table.
  const BINDINGS = { REMIT_ADMIN_TOKEN: ADMIN_TOKEN, REMIT_SIGNING_KEY: "fu0qcEqTDoQC4qtS-uOi4j9pDKMgQb-KmQ1YaxdiH1s", REMIT_REQUEST_LOG: "off" };
  const stateDir = existsSync("/dev/shm") ? `/dev/shm/remit-bench-leases-${process.pid}` : join(BUILD, "state-leases");
  say(`built the worker and the node bundle; DO state in ${stateDir}`);
  const server = await startWorker({ build: { script, config }, bindings: BINDINGS, stateDir: join(stateDir, "remit") });
  let code = 0;
  try {
    const { Remit } = await import("./lib/remit.mjs");
    const result = await leases({ quick: args.quick, remit: new Remit(server.url, ADMIN_TOKEN), say });
    const rep = leasesReport(result);
    console.log(rep.table);
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
    const file = await writeLeases(result, {
      startedAt: new Date(Date.now() - (performance.now() - t0)).toISOString(),
      mode: args.quick ? "quick" : "full",
      git,
      targets: rep.targets,
    });
    say(`results: ${file.replace(`${ROOT}/`, "")}`);
    if (rep.targets.some((t) => !t.met))
      say(
        `MISS: ${rep.targets
          .filter((t) => !t.met)
          .map((t) => t.name)
          .join("; ")}`,
      );
  } catch (e) {
    console.error(e);
    code = 1;
  } finally {
    await server.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
  return code;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(await standalone());
