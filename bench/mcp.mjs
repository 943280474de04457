#!/usr/bin/env node
// npm run bench:mcp   →   node bench/mcp.mjs [--calls N] [--warmup N]
//
// What remit-mcp adds to a tool call. One run, one machine, loopback only:
//   direct    the official SDK Client → the test upstream (test/support/mcp-upstream.mjs, stdio)
//   gateway   the same Client → remit-mcp (from source, stdio) → the same upstream, with a
//             free tool (`ping`): one POST /v1/authorize with no amount to the real worker
//             (wrangler dev, as the e2e tests run it) before the upstream call
// Calls are sequential and interleaved (direct, gateway, direct, …) so both sides see the
// same machine. Prints a small table; writes bench/results/mcp.json.
import { generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ROOT, startStack } from "../scripts/dev-stack.mjs";

const { values: args } = parseArgs({ options: { calls: { type: "string", default: "400" }, warmup: { type: "string", default: "40" } } });
const CALLS = Number(args.calls);
const WARMUP = Number(args.warmup);
const UPSTREAM = join(ROOT, "test", "support", "mcp-upstream.mjs");
const GATEWAY = join(ROOT, "mcp", "bin", "remit-mcp.mjs");

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const summary = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
};

async function json(res, what) {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: ${res.status} ${text}`);
  return JSON.parse(text);
}

const dir = await mkdtemp(join(tmpdir(), "remit-mcp-bench-"));
const stack = await startStack({ ephemeral: true, withChain: false, quiet: true });
const clients = [];
try {
  // A principal, an agent key file as `remit keygen --out` writes it, and a session for mcp:call:bench/*.
  const principal = await json(
    await fetch(`${stack.url}/v1/principals`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "bench" }),
    }),
    "principal",
  );
  const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
  const keyFile = join(dir, "agent.jwk");
  await writeFile(keyFile, JSON.stringify(jwk), { mode: 0o600 });
  const grant = await json(
    await fetch(`${stack.url}/v1/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${principal.api_key}`, "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({
        agent_jwk: { kty: "OKP", crv: "Ed25519", x: jwk.x },
        scopes: ["mcp:call:bench/*"],
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
      }),
    }),
    "grant",
  );
  const config = join(dir, "remit-mcp.json");
  await writeFile(config, JSON.stringify({ server: "bench", upstream: { command: process.execPath, args: [UPSTREAM] }, tools: { ping: { free: true } } }));

  const direct = new Client({ name: "bench-direct", version: "1" });
  await direct.connect(new StdioClientTransport({ command: process.execPath, args: [UPSTREAM], stderr: "inherit" }));
  clients.push(direct);
  let gatewayLog = "";
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [GATEWAY, "--config", config],
    env: { PATH: process.env.PATH ?? "", REMIT_URL: stack.url, REMIT_TOKEN: grant.token, REMIT_AGENT_KEY: keyFile },
    stderr: "pipe",
  });
  transport.stderr.on("data", (c) => {
    gatewayLog += c.toString("utf8");
  });
  const gateway = new Client({ name: "bench-gateway", version: "1" });
  await gateway.connect(transport);
  clients.push(gateway);

  const once = async (client) => {
    const t = performance.now();
    const r = await client.callTool({ name: "ping", arguments: {} });
    const ms = performance.now() - t;
    if (r.isError) throw new Error(`ping failed: ${JSON.stringify(r)}`);
    return ms;
  };
  for (let i = 0; i < WARMUP; i++) {
    await once(direct);
    await once(gateway);
  }
  const times = { direct: [], gateway: [] };
  for (let i = 0; i < CALLS; i++) {
    times.direct.push(await once(direct));
    times.gateway.push(await once(gateway));
  }
  // The gateway's own view of each call (its stderr line's ms: authorize + upstream).
  const logged = gatewayLog
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l))
    .filter((l) => l.event === "call")
    .slice(WARMUP)
    .map((l) => l.ms);

  const d = summary(times.direct);
  const g = summary(times.gateway);
  const inside = summary(logged);
  const added = { p50: g.p50 - d.p50, p99: g.p99 - d.p99 };
  const f = (x) => x.toFixed(2).padStart(8);
  console.log(`remit-mcp added latency, free tool (ping), ${CALLS} sequential calls each, interleaved, after ${WARMUP} warm-up`);
  console.log(`${"".padEnd(36)}${"p50 ms".padStart(8)}${"p90 ms".padStart(8)}${"p99 ms".padStart(8)}${"mean".padStart(8)}`);
  console.log(`${"direct (Client → upstream)".padEnd(36)}${f(d.p50)}${f(d.p90)}${f(d.p99)}${f(d.mean)}`);
  console.log(`${"gateway (Client → remit-mcp → up)".padEnd(36)}${f(g.p50)}${f(g.p90)}${f(g.p99)}${f(g.mean)}`);
  console.log(`${"  inside the gateway (its log ms)".padEnd(36)}${f(inside.p50)}${f(inside.p90)}${f(inside.p99)}${f(inside.mean)}`);
  console.log(`${"added by the gateway".padEnd(36)}${f(added.p50)}${"".padStart(8)}${f(added.p99)}`);

  const result = {
    at: new Date().toISOString(),
    calls: CALLS,
    warmup: WARMUP,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, loadavg: loadavg(), node: process.version },
    worker: "wrangler dev (local workerd), loopback",
    direct: d,
    gateway: g,
    gateway_logged: inside,
    added_ms: added,
  };
  await mkdir(join(ROOT, "bench", "results"), { recursive: true });
  await writeFile(join(ROOT, "bench", "results", "mcp.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log("wrote bench/results/mcp.json");
} finally {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
