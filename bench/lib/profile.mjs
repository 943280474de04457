// A CPU profile of workerd itself (not of the load generator): a separate remit
// instance started with Miniflare's inspectorPort, V8's sampling profiler driven
// over the DevTools protocol on the user worker's isolate (the edge and its Durable
// Objects run in it) while the load generator drives POST /v1/authorize. Samples
// are attributed to source modules through esbuild's `// path` markers in the
// bundle, so the summary says "noble ed25519", "zod", "jose", not "index.js:12345".
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { startWorker } from "./server.mjs";

// Node 20 has no global WebSocket; undici's (the load generator's HTTP client) is the same WHATWG API.
const WebSocket = globalThis.WebSocket ?? (await import("undici")).WebSocket;

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

function cdp(url) {
  const ws = new WebSocket(url);
  let id = 0;
  const waiting = new Map();
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.id && waiting.has(m.id)) {
      const { ok, fail } = waiting.get(m.id);
      waiting.delete(m.id);
      m.error ? fail(new Error(JSON.stringify(m.error))) : ok(m.result);
    }
  };
  const opened = new Promise((ok, fail) => {
    ws.onopen = ok;
    ws.onerror = (e) => fail(new Error(`inspector ${url}: ${e.message ?? "error"}`));
  });
  return {
    opened,
    send: (method, params = {}) =>
      new Promise((ok, fail) => {
        const n = ++id;
        waiting.set(n, { ok, fail });
        ws.send(JSON.stringify({ id: n, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Line → source module, from esbuild's `// path/to/module.js` markers in the bundle. */
function moduleMap(bundlePath) {
  const marks = [];
  readFileSync(bundlePath, "utf8")
    .split("\n")
    .forEach((line, i) => {
      const m = /^\/\/ ((?:\.\.\/)*[\w@.-]+(?:\/[\w@.-]+)+\.(?:m?js|cjs|ts))$/.exec(line);
      if (m) marks.push([i, m[1].replace(/^(\.\.\/)+/, "")]);
    });
  return (line) => {
    let lo = 0;
    let hi = marks.length - 1;
    let found = "(bundle prelude)";
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid][0] <= line) {
        found = marks[mid][1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/** Groups a module path into what a reader recognises. */
function family(mod) {
  const rules = [
    [/@noble\/ed25519/, "@noble/ed25519 (receipt + token signing, pure JS)"],
    [/@noble\/hashes/, "@noble/hashes (sha512 for ed25519, sha256 leaf hash)"],
    [/^node_modules\/jose\//, "jose (session token verify)"],
    [/^node_modules\/zod\//, "zod (request validation)"],
    [/^node_modules\/@hono\/zod-openapi|@asteasolutions|@hono\/zod-validator/, "@hono/zod-openapi"],
    [/^node_modules\/hono\//, "hono"],
  ];
  for (const [re, name] of rules) if (re.test(mod)) return name;
  return mod;
}

export function summarize(profile, bundlePath, requests = null) {
  const lineToModule = moduleMap(bundlePath);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Self time per node from samples and their time deltas (µs).
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const label = (n) => {
    const f = n.callFrame;
    if (!f.url) return { module: f.functionName ? `native: ${f.functionName}` : "(native)", fn: f.functionName || "(anonymous)" };
    if (!/\.js$/.test(f.url) || f.url.includes("core:") || f.url.startsWith("cloudflare:") || f.url.startsWith("node:"))
      return { module: `runtime: ${f.url.replace(/^.*\//, "")}`, fn: f.functionName || "(anonymous)" };
    return { module: family(lineToModule(f.lineNumber)), fn: f.functionName || "(anonymous)" };
  };
  let total = 0;
  let idle = 0;
  const modules = new Map();
  const fns = new Map();
  for (const [id, us] of self) {
    const n = byId.get(id);
    const name = n.callFrame.functionName;
    total += us;
    if (name === "(idle)") {
      idle += us;
      continue;
    }
    const special = /^\((program|garbage collector|root)\)$/.test(name);
    const l = special ? { module: name, fn: name } : label(n);
    modules.set(l.module, (modules.get(l.module) ?? 0) + us);
    const key = `${l.fn} — ${l.module}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const busy = total - idle;
  const perReq = (us) => (requests ? us / requests : null);
  const list = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000, pct: (100 * us) / busy, usPerRequest: perReq(us) }));

  // Inclusive time of the functions that name the stages of an authorize.
  const stages = [
    "verifySessionToken",
    "verifyProof",
    "jwtVerify",
    "agentDecision",
    "authorize",
    "writeReceipt",
    "sign",
    "canonicalize",
    "view",
    "readChain",
    "readCounters",
    "readSession",
    "getMeta",
    "checkAction",
    "applyToCounters",
    "countCall",
    "respond",
    "exec",
    "transactionSync",
    "alarm",
    "runMaintenance",
    "drainEvents",
    "drainReceipts",
    "receiptsDueAt",
    "nextAlarmAt",
    "eventsDueAt",
    "scheduleAlarm",
    "scheduleAlarmSoon",
    "setAlarm",
    "append",
    "sealOpen",
    "planAlarm",
    "oldestOpen",
    "dispatch",
  ];
  const inclusive = new Map();
  const totalOf = new Map();
  const subtotal = (id) => {
    if (totalOf.has(id)) return totalOf.get(id);
    const n = byId.get(id);
    let t = self.get(id) ?? 0;
    for (const c of n.children ?? []) t += subtotal(c);
    totalOf.set(id, t);
    return t;
  };
  for (const n of profile.nodes) {
    const name = n.callFrame.functionName;
    if (!stages.includes(name)) continue;
    // Count a node only if no ancestor has the same name (recursion, re-entry).
    let p = parent.get(n.id);
    let nested = false;
    while (p !== undefined) {
      if (byId.get(p).callFrame.functionName === name) {
        nested = true;
        break;
      }
      p = parent.get(p);
    }
    if (!nested) inclusive.set(name, (inclusive.get(name) ?? 0) + subtotal(n.id));
  }
  return {
    sampledMs: total / 1000,
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    byModule: list(modules).slice(0, 30),
    byFunction: list(fns).slice(0, 30),
    requests,
    busyUsPerRequest: perReq(busy),
    inclusive: stages
      .filter((s) => inclusive.has(s))
      .map((s) => ({ name: s, ms: inclusive.get(s) / 1000, pct: (100 * inclusive.get(s)) / busy, usPerRequest: perReq(inclusive.get(s)) })),
  };
}

/**
 * Profiles workerd during an authorize (depth 1) load. Returns the summary and the
 * path of the .cpuprofile (open it in Chrome DevTools → Performance, or speedscope).
 */
export async function profileAuthorize({ build, bindings, stateDir, adminToken, measure, scenario, resultsDir, stamp, Remit, durationMs }) {
  const inspectorPort = await freePort();
  const server = await startWorker({ build: build.remit, bindings, stateDir, inspectorPort });
  try {
    const remit = new Remit(server.url, adminToken);
    const principal = await remit.createPrincipal();
    const d1 = await remit.chain(principal, 1);
    const user = cdp(`ws://127.0.0.1:${inspectorPort}/core:user:`);
    await user.opened;
    await user.send("Profiler.enable");
    await user.send("Profiler.setSamplingInterval", { interval: 250 });
    // Warm the JIT before sampling.
    await measure(scenario(server.url, d1.leaf, { warmupMs: 0, durationMs: 1000 }, remit.agentSeed));
    await user.send("Profiler.start");
    const load = await measure(scenario(server.url, d1.leaf, { warmupMs: 0, durationMs }, remit.agentSeed), server);
    const { profile } = await user.send("Profiler.stop");
    user.close();
    const file = join(resultsDir, `${stamp}-authorize.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    const summary = summarize(profile, build.remit.script, load.requestsTotal);
    return { file: file.slice(file.indexOf("bench/")), load: { rps: load.rps, p50: load.p50, cpu: load.cpu }, summary };
  } finally {
    await server.stop();
  }
}
