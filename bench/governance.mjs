// Governance bench, runnable alone: `node bench/governance.mjs [--trees 1000] [--receipts-per-tree 100]`.
//
// One principal with N trees (a root each, 1 USD spent per authorization, R receipts
// per tree), measured at N/10 trees and again at N: GET /v1/exposure, GET /v1/sessions
// (first page, every page, a filter that matches nothing), GET /v1/receipts (first page,
// a later page) and a bulk-revocation dry run. Each answer fans out one RPC per tree
// from the Principal object (all in flight at once), so the figures scale with the
// number of trees; receipts per tree only change the receipt listing's per-tree key query
// (the (created_at, id) index). bench/README.md "Governance" explains each row's cost. Latencies are wall clock from this process, sequential
// requests (nothing else in flight), median and p95 of `--samples` (default 15).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BUILD, buildAll } from "./lib/build.mjs";
import { startWorker } from "./lib/server.mjs";

const { values: args } = parseArgs({
  options: { trees: { type: "string" }, "receipts-per-tree": { type: "string" }, samples: { type: "string" }, concurrency: { type: "string" } },
});
const TREES = Number(args.trees ?? 1000);
const PER_TREE = Number(args["receipts-per-tree"] ?? 100);
const SAMPLES = Number(args.samples ?? 15);
const CONCURRENCY = Number(args.concurrency ?? 32);
const ADMIN_TOKEN = "bench-operator-token";
const BINDINGS = { REMIT_ADMIN_TOKEN: ADMIN_TOKEN, REMIT_SIGNING_KEY: "fu0qcEqTDoQC4qtS-uOi4j9pDKMgQb-KmQ1YaxdiH1s", REMIT_REQUEST_LOG: "off" };
const stateDir = existsSync("/dev/shm") ? `/dev/shm/remit-gov-bench-${process.pid}` : join(BUILD, "state-governance");
const t0 = performance.now();
const say = (m) => console.error(`[governance ${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}`);

const build = await buildAll();
process.env.REMIT_BENCH_NODE_BUNDLE = build.node;
const { Remit } = await import("./lib/remit.mjs");
const server = await startWorker({ build: build.remit, bindings: BINDINGS, stateDir: join(stateDir, "remit") });
say(`built in ${(build.ms / 1000).toFixed(1)}s; workerd ${server.url}`);
const remit = new Remit(server.url, ADMIN_TOKEN);

async function pool(n, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

const principal = await remit.createPrincipal("governance-bench");
const bearer = { authorization: `Bearer ${principal.apiKey}` };
const agents = [];
let receipts = 0;

async function grow(toTrees) {
  const from = agents.length;
  await pool(toTrees - from, async (i) => {
    agents[from + i] = await remit.grant(principal, 2);
  });
  // Round-robin spends so receipts of every tree interleave in time.
  const jobs = [];
  for (let r = 0; r < PER_TREE; r++) for (let t = from; t < toTrees; t++) jobs.push(t);
  await pool(jobs.length, async (j) => {
    const res = await remit.agentCall(agents[jobs[j]], "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: "1" } });
    if (res.status !== 200) throw new Error(`authorize: ${res.status} ${res.text}`);
    receipts++;
  });
}

async function timed(name, fn) {
  const ms = [];
  let last;
  await fn(); // warm
  for (let i = 0; i < SAMPLES; i++) {
    const a = performance.now();
    last = await fn();
    ms.push(performance.now() - a);
  }
  ms.sort((x, y) => x - y);
  return { name, median: ms[Math.floor(ms.length / 2)], p95: ms[Math.min(ms.length - 1, Math.ceil(ms.length * 0.95) - 1)], last };
}

const get = async (path) => {
  const r = await remit.call("GET", path, { headers: bearer });
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text}`);
  return r.json;
};

async function measureAll() {
  const rows = [];
  rows.push(await timed("GET /v1/exposure", () => get("/v1/exposure")));
  rows.push(await timed("GET /v1/sessions?limit=100 (first page)", () => get("/v1/sessions?limit=100")));
  rows.push(
    await timed("GET /v1/sessions, every page of 100", async () => {
      let cursor = null;
      let n = 0;
      do {
        const page = await get(`/v1/sessions?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
        n += page.data.length;
        cursor = page.next_cursor;
      } while (cursor);
      return n;
    }),
  );
  rows.push(await timed("GET /v1/sessions?idle_for=P7D (matches none)", () => get("/v1/sessions?idle_for=P7D")));
  rows.push(await timed("GET /v1/receipts?limit=100 (first page)", () => get("/v1/receipts?limit=100")));
  const fifth = await (async () => {
    let cursor = null;
    for (let i = 0; i < 5; i++) cursor = (await get(`/v1/receipts?limit=100${cursor ? `&cursor=${cursor}` : ""}`)).next_cursor;
    return cursor;
  })();
  rows.push(await timed("GET /v1/receipts?limit=100 (6th page)", () => get(`/v1/receipts?limit=100&cursor=${fifth}`)));
  rows.push(
    await timed("POST /v1/sessions/revoke dry run (label matches none)", async () => {
      const r = await remit.call("POST", "/v1/sessions/revoke", { headers: bearer, body: { filter: { label: "nobody" }, dry_run: true } });
      if (r.status !== 200) throw new Error(r.text);
      return r.json.count;
    }),
  );
  return rows;
}

const results = [];
for (const n of [Math.max(1, Math.round(TREES / 10)), TREES]) {
  const g0 = performance.now();
  await grow(n);
  say(`${n} trees, ${receipts} receipts (setup ${((performance.now() - g0) / 1000).toFixed(1)}s)`);
  const exposure = await get("/v1/exposure");
  if (exposure.trees.total !== n) throw new Error(`exposure counted ${exposure.trees.total} trees, not ${n}`);
  const rows = await measureAll();
  results.push({ trees: n, receipts, rows, exposure_now: exposure.assets[0]?.now });
  // Printed as soon as measured, so a stage's figures survive a later stage being cut short.
  for (const r of rows) say(`${n} trees: ${r.name}: median ${r.median.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms`);
}

console.log(`\nGovernance at ${results.map((r) => `${r.trees} trees / ${r.receipts} receipts`).join(" and ")} (ms, sequential, ${SAMPLES} samples)\n`);
const names = results[0].rows.map((r) => r.name);
const width = Math.max(...names.map((n) => n.length));
console.log(`${"".padEnd(width)}  ${results.map((r) => `${String(r.trees).padStart(5)} trees: median    p95`).join("   ")}`);
for (const [i, name] of names.entries())
  console.log(
    `${name.padEnd(width)}  ${results.map((r) => `${" ".repeat(12)}${r.rows[i].median.toFixed(1).padStart(7)} ${r.rows[i].p95.toFixed(1).padStart(6)}`).join("   ")}`,
  );
const [small, big] = results;
const ratio = (i) => (big.rows[i].median / small.rows[i].median).toFixed(1);
console.log(`\n×${big.trees / small.trees} trees → exposure ×${ratio(0)}, first session page ×${ratio(1)}, first receipt page ×${ratio(4)}, dry run ×${ratio(6)}`);
await server.stop();
