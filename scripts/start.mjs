#!/usr/bin/env node
// `npm start`: the whole service on this machine — anvil with RemitAnchor, the
// worker under wrangler dev — plus a demo principal to try it with.
//
//   npm start                 state kept in .dev/ (worker storage, chain, demo principal)
//   npm start -- --fresh      a throwaway state directory, removed at exit
//   npm start -- --no-chain   without anvil (no anchoring)
//   PORT=9000 npm start       another port (default 8787)
//   ANCHOR_TICK_SECONDS=10    how often the settlement cron runs locally (default 30; 0: never)
//   ANVIL_PORT=8546           the chain's port (default 8545 when it is free, else a free one)
//
// Where things are goes to .dev/stack.json and .dev/chain.json (the chain's RPC URL:
// `remit receipt verify` finds it there).
//
// Ctrl-C stops wrangler and anvil.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, portFree, startStack } from "./dev-stack.mjs";

const argv = process.argv.slice(2);
const fresh = argv.includes("--fresh");
const withChain = !argv.includes("--no-chain");
const quiet = !argv.includes("--verbose");
const port = Number(process.env.PORT ?? 8787);
const tickSeconds = Number(process.env.ANCHOR_TICK_SECONDS ?? 30);

const persistDir = fresh ? await mkdtemp(join(tmpdir(), "remit-dev-")) : join(ROOT, ".dev");
const demoFile = join(persistDir, "demo-principal.json");

async function demoPrincipal(url, adminToken) {
  // A persisted stack keeps its demo principal: reuse its key while it still works.
  try {
    const saved = JSON.parse(await readFile(demoFile, "utf8"));
    const check = await fetch(`${url}/v1/api-keys`, { headers: { authorization: `Bearer ${saved.api_key}` } });
    await check.body?.cancel();
    if (check.status === 200) return { ...saved, reused: true };
  } catch {
    // none saved yet, or its state is gone
  }
  const res = await fetch(`${url}/v1/principals`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Demo principal" }),
  });
  const body = await res.json();
  if (res.status !== 201) throw new Error(`creating the demo principal failed: ${res.status} ${JSON.stringify(body)}`);
  const demo = { principal: body.principal.id, api_key: body.api_key };
  await mkdir(persistDir, { recursive: true });
  await writeFile(demoFile, JSON.stringify(demo, null, 2) + "\n", { mode: 0o600 });
  await chmod(demoFile, 0o600);
  return { ...demo, reused: false };
}

let stack = null;
let stopping = false;
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  process.stderr.write("\nstopping wrangler" + (withChain ? " and anvil" : "") + "…\n");
  try {
    await stack?.stop();
  } finally {
    if (fresh) await rm(persistDir, { recursive: true, force: true });
    process.exit(code);
  }
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  console.error(`starting ${withChain ? "anvil, then " : ""}wrangler dev on 127.0.0.1:${port} (state in ${persistDir})…`);
  const wanted = Number(process.env.ANVIL_PORT ?? 8545);
  // The well-known port when it is free, so `--rpc-url http://127.0.0.1:8545` just works; else any.
  const chainPort = withChain && (await portFree(wanted)) ? wanted : undefined;
  if (withChain && chainPort === undefined) console.error(`port ${wanted} is taken: anvil gets a free port (see .dev/chain.json)`);
  stack = await startStack({
    port,
    persistDir,
    withChain,
    quiet,
    ...(chainPort ? { chainPort } : {}),
    ...(withChain && tickSeconds > 0 ? { tickEveryMs: tickSeconds * 1000 } : {}),
  });
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  await shutdown(1);
}

try {
  const demo = await demoPrincipal(stack.url, stack.adminToken);
  const { url } = stack;
  // Where this stack is, for the walk-through and other local tools (no secrets beyond the dev ones).
  const info = { url, principal: demo.principal, api_key: demo.api_key, admin_token: stack.adminToken, chain: stack.chain ?? null };
  await writeFile(join(ROOT, ".dev", "stack.json"), JSON.stringify(info, null, 2) + "\n", { mode: 0o600 }).catch(async () => {
    await mkdir(join(ROOT, ".dev"), { recursive: true });
    await writeFile(join(ROOT, ".dev", "stack.json"), JSON.stringify(info, null, 2) + "\n", { mode: 0o600 });
  });
  const chainFile = join(ROOT, ".dev", "chain.json");
  if (stack.chain) {
    const chain = { rpc_url: stack.chain.rpcUrl, contract: stack.chain.contract, chain_id: stack.chain.chainId };
    await writeFile(chainFile, JSON.stringify(chain, null, 2) + "\n");
  } else {
    await rm(chainFile, { force: true });
  }
  const sq = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = [
    "",
    "Remit is running.",
    "",
    `  API              ${url}`,
    `  Dashboard        ${url}/dashboard  (sign in with the demo API key)`,
    `  Docs             ${url}/docs`,
    `  OpenAPI          ${url}/openapi.json`,
    `  Operator token   ${stack.adminToken}`,
    `  Demo principal   ${demo.principal}${demo.reused ? " (kept from the last run)" : ""}`,
    `  Demo API key     ${demo.api_key}`,
    ...(stack.chain
      ? [
          `  Chain (anvil)    ${stack.chain.rpcUrl}  chain id ${stack.chain.chainId}`,
          `  RemitAnchor      ${stack.chain.contract}`,
          `  Settlement       the cron runs every ${tickSeconds > 0 ? `${tickSeconds} s` : "— never (ANCHOR_TICK_SECONDS=0)"}`,
        ]
      : ["  Chain            none (--no-chain)"]),
    "",
    "Try it:",
    "",
    `  curl -s ${url}/v1/api-keys -H ${sq(`Authorization: Bearer ${demo.api_key}`)}`,
    "",
    "Or with the CLI:",
    "",
    `  npm run -s remit -- login --url ${url} --api-key ${demo.api_key}`,
    '  eval "$(npm run -s remit -- keygen --export)"',
    `  eval "$(npm run -s remit -- grant --agent-key "$REMIT_AGENT_KEY" --scope 'http:GET:api.example.com/*' --budget USD:50.00/day --expires 2h --export)"`,
    "  npm run -s remit -- authorize http:GET:api.example.com/v1/quotes --amount 12.50USD",
    "",
    '(the README\'s "Five minutes with Remit" has the whole walk-through)',
    "",
    "The five-minute walk-through (grant, authorize, delegate, revoke, verify on chain):",
    "",
    "  npm run walkthrough",
    "",
    "Ctrl-C stops everything.",
    "",
  ];
  console.log(lines.join("\n"));
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  await shutdown(1);
}
