/**
 * Node side of the settlement end-to-end tests: a chain that outlives worker restarts
 * (anvil on a fixed port with its state on disk, RemitAnchor deployed once) and the
 * real worker under `wrangler dev` (scripts/dev-stack.mjs) pointed at it, with its
 * Durable Object storage persisted so it can be stopped and started again.
 * Plus a small HTTP client: principals, grants, DPoP spends, proofs, the operator's settle.
 */
import type { Hex } from "viem";
import { createProof } from "@remit/sdk/dpop";
import { generateAgentKey, type AgentKey } from "@remit/sdk/keys";
import { ANVIL_KEY_0, deployAnchor, freePort, removeDataDir, rpc, startAnvil, tempDataDir, type Anvil } from "./anvil";
import { startStack, type TestStack } from "./stack";

export interface Chain {
  rpcUrl: string;
  port: number;
  dataDir: string;
  contract: Hex;
  chainId: number;
  anvil: Anvil | null;
  /** Stops anvil (its state is dumped to dataDir). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same state. */
  start(): Promise<void>;
}

export async function startChain(): Promise<Chain> {
  const dataDir = await tempDataDir("remit-settle-chain-");
  const port = await freePort();
  const chain: Chain = {
    rpcUrl: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    contract: "0x" as Hex,
    chainId: 31337,
    anvil: null,
    async stop() {
      await chain.anvil?.stop();
      chain.anvil = null;
    },
    async start() {
      chain.anvil = await startAnvil({ port, dataDir });
    },
  };
  await chain.start();
  chain.contract = await deployAnchor(chain.rpcUrl, ANVIL_KEY_0);
  chain.chainId = Number.parseInt(await rpc<string>(chain.rpcUrl, "eth_chainId"), 16);
  return chain;
}

export async function removeChain(chain: Chain): Promise<void> {
  await chain.stop();
  await removeDataDir(chain.dataDir);
}

/**
 * The worker with its storage in `persistDir`, anchoring on `chain`; `devVarsPath` is
 * its secrets file instead of `.dev.vars` (how a test chooses REMIT_SIGNING_KEY).
 */
export function startWorker(persistDir: string, chain: Chain, vars: Record<string, string> = {}, options: { devVarsPath?: string } = {}): Promise<TestStack> {
  return startStack({
    persistDir,
    withChain: false,
    ...(options.devVarsPath ? { devVarsPath: options.devVarsPath } : {}),
    vars: {
      ANCHOR_RPC_URL: chain.rpcUrl,
      ANCHOR_CONTRACT: chain.contract,
      ANCHOR_PRIVATE_KEY: ANVIL_KEY_0,
      ANCHOR_CHAIN_ID: String(chain.chainId),
      ANCHOR_CONFIRMATIONS: "1",
      LEDGER_SHARDS: "4",
      LEDGER_BATCH_SIZE: "32",
      LEDGER_BATCH_SECONDS: "1",
      // The tests drive runs themselves (operator settle, scheduled()): a cron run may open a period every second.
      SETTLEMENT_INTERVAL_SECONDS: "1",
      ...vars,
    },
  });
}

// ------------------------------------------------------------------ HTTP

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function http(base: string, method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  // Mutating calls must carry an Idempotency-Key: a fresh one per call unless the caller gave one.
  if ((method === "POST" || method === "PATCH") && !Object.keys(headers).some((h) => h.toLowerCase() === "idempotency-key"))
    headers["idempotency-key"] = crypto.randomUUID();
  const res = await fetch(`${base}${path}`, { method, headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  const text = await res.text();
  let json: Json = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    // not JSON
  }
  return { status: res.status, json, text };
}

export interface Spender {
  apiKey: string;
  principal: string;
  key: AgentKey;
  token: string;
  session: string;
  tree: string;
}

export async function newPrincipal(stack: TestStack, name: string): Promise<{ id: string; apiKey: string }> {
  return stack.createPrincipal(name);
}

export async function grantTree(base: string, p: { id: string; apiKey: string }, budget = "100000000"): Promise<Spender> {
  const key = generateAgentKey();
  const r = await http(base, "POST", "/v1/sessions", {
    headers: { authorization: `Bearer ${p.apiKey}` },
    body: {
      agent_jwk: key.publicJwk,
      scopes: ["http:GET:api.example.com/*"],
      expires_at: new Date(Date.now() + 3600_000).toISOString(),
      max_depth: 2,
      limits: { budgets: [{ asset: "USD", amount: budget }] },
    },
  });
  if (r.status !== 201) throw new Error(`grant: ${r.status} ${r.text}`);
  return { apiKey: p.apiKey, principal: p.id, key, token: r.json.token, session: r.json.session.id, tree: r.json.session.tree };
}

export async function agentRequest(base: string, s: Spender, method: string, path: string, body?: unknown) {
  const proof = createProof(s.key, { method, url: `${base}${path}`, accessToken: s.token });
  return http(base, method, path, { body, headers: { authorization: `DPoP ${s.token}`, dpop: proof } });
}

/** One spend: an authorization of `amount` USD. Returns the receipt id. */
export async function spendOnce(base: string, s: Spender, amount: number): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const r = await agentRequest(base, s, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: String(amount) } });
    if (r.status === 200) return r.json.receipt.receipt.id;
    if (attempt >= 3 || r.status < 500) throw new Error(`authorize: ${r.status} ${r.text}`);
  }
}

/** `total` spends spread round-robin over the spenders, `concurrency` at a time. Receipt ids with who can read them. */
export async function spendMany(base: string, spenders: Spender[], total: number, concurrency = 8): Promise<{ id: string; apiKey: string; tree: string }[]> {
  const out: { id: string; apiKey: string; tree: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const s = spenders[i % spenders.length]!;
        out.push({ id: await spendOnce(base, s, 1 + (i % 97)), apiKey: s.apiKey, tree: s.tree });
      }
    }),
  );
  return out;
}

export function admin(stack: TestStack) {
  return { authorization: `Bearer ${stack.adminToken}` };
}

export async function settleNow(stack: TestStack, body: unknown = {}) {
  const r = await http(stack.url, "POST", "/v1/admin/settle", { headers: admin(stack), body });
  if (r.status !== 200) throw new Error(`settle: ${r.status} ${r.text}`);
  return r.json;
}

export async function settlementStatus(stack: TestStack) {
  const r = await http(stack.url, "GET", "/v1/admin/settlement", { headers: admin(stack) });
  if (r.status !== 200) throw new Error(`status: ${r.status} ${r.text}`);
  return r.json;
}

/** Receipts received by all ledger shards, and how many of them still wait to be sealed. */
export async function ledgerTotals(stack: TestStack): Promise<{ received: number; open: number; batches: number }> {
  const s = await settlementStatus(stack);
  let received = 0;
  let open = 0;
  let batches = 0;
  for (const shard of s.shards) {
    if (!shard.ledger) throw new Error(`shard ${shard.shard} did not answer`);
    received += shard.ledger.received;
    open += shard.ledger.open;
    batches += shard.ledger.batches;
  }
  return { received, open, batches };
}

export async function until<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function proofOf(base: string, apiKey: string, id: string) {
  const r = await http(base, "GET", `/v1/receipts/${id}/proof`, { headers: { authorization: `Bearer ${apiKey}` } });
  if (r.status !== 200) throw new Error(`proof ${id}: ${r.status} ${r.text}`);
  return r.json;
}

/** Runs `fn` over `items`, `concurrency` at a time. */
export async function pool<T, R>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** The account's mined transaction count (deploy = 1, then one per anchor transaction that landed). */
export async function minedNonce(chain: Chain, address: Hex): Promise<number> {
  return Number.parseInt(await rpc<string>(chain.rpcUrl, "eth_getTransactionCount", [address, "latest"]), 16);
}
