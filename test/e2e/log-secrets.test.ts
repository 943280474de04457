/**
 * No secret ever reaches a log line. The real worker under wrangler dev (and anvil, so that
 * settlement anchors), every line it prints captured; a full walk-through over HTTP — principal
 * and its API key, a second key, a session grant, a delegation, a spend, a hold and its capture,
 * a webhook endpoint and its rotated secret, refusals, the operator's settle — collecting every
 * secret the responses and the stack's configuration hold; then none of them may appear in any
 * line the worker logged, and the request log must have written its lines (positive control).
 *
 * The anchor RPC URL carries a credential in its path, the way hosted RPC providers issue them
 * (`https://…/v2/<key>`): a small proxy here accepts only that path and forwards to anvil, so
 * anchoring works only if the worker used the URL, which is then a real secret the settlement
 * code handled (and the settle's error messages would carry, were they not redacted). A
 * `user:pass@` URL is not used: fetch refuses URLs with credentials, so anchoring would fail
 * for that reason instead.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgentKey, RemitAgent, RemitOperator, RemitPrincipal } from "../../sdk/src/index";
// @ts-expect-error TS7016: plain JavaScript without declarations (allowJs is off); typed where used.
import * as devStack from "../../scripts/dev-stack.mjs";
import type { RequestLogLine } from "../../src/contract/log";
import { ANVIL_KEY_0 } from "../support/anvil";
import { ledgerTotals, removeChain, startChain, until, type Chain } from "../support/settlement-stack";
import type { TestStack } from "../support/stack";

interface DevStack {
  url: string;
  adminToken: string;
  vars: Record<string, string>;
  stop(): Promise<void>;
}
const startStack = devStack.startStack as (options: Record<string, unknown>) => Promise<DevStack>;
const ensureDevVars = devStack.ensureDevVars as () => Promise<Record<string, string>>;

const SCOPE = "http:GET:api.example.com/*";
const RPC_CREDENTIAL = `rpc-key-${crypto.randomUUID()}`;

/** Every line wrangler printed after the worker was ready: what the worker itself logged. */
const lines: string[] = [];
/** wrangler's own start-up banner (binding table and such): not the worker's logs; kept apart. */
const banner: string[] = [];
let ready = false;
let stack: DevStack;
let chain: Chain;
let proxy: Server;
let proxied = 0;

/** JSON-RPC on `/v2/<credential>` only, forwarded to anvil; anything else is a 404. */
async function startRpcProxy(target: string): Promise<string> {
  proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== "POST" || req.url !== `/v2/${RPC_CREDENTIAL}`) return void res.writeHead(404).end("Not Found");
    proxied++;
    const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(chunks) });
    res.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
  });
  await new Promise<void>((ok) => proxy.listen(0, "127.0.0.1", ok));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v2/${RPC_CREDENTIAL}`;
}
const secrets = new Map<string, string>();

function keep(what: string, value: string | undefined | null) {
  expect(value, what).toBeTruthy();
  secrets.set(what, value!);
  // Hex keys are also looked for without their 0x, the way a library might print them.
  if (/^0x[0-9a-f]{64}$/i.test(value!)) secrets.set(`${what} (bare hex)`, value!.slice(2));
}

async function raw(method: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.url}${path}`, { method, headers });
  await res.body?.cancel();
  return res.status;
}

beforeAll(async () => {
  chain = await startChain();
  const rpcUrl = await startRpcProxy(chain.rpcUrl);
  stack = await startStack({
    ephemeral: true,
    withChain: false,
    quiet: true,
    vars: {
      ANCHOR_RPC_URL: rpcUrl,
      ANCHOR_CONTRACT: chain.contract,
      ANCHOR_PRIVATE_KEY: ANVIL_KEY_0,
      ANCHOR_CHAIN_ID: String(chain.chainId),
      ANCHOR_CONFIRMATIONS: "1",
      LEDGER_BATCH_SECONDS: "1",
    },
    onOutput: (line: string) => {
      if (!ready) {
        banner.push(line);
        if (/Ready on/i.test(line)) ready = true;
      } else lines.push(line);
    },
  });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  if (chain) await removeChain(chain);
  await new Promise((ok) => (proxy ? proxy.close(ok) : ok(undefined)));
}, 60_000);

describe("log secrets", () => {
  it("walks the whole API, and no secret appears in any line the worker logged", async () => {
    const devVars = await ensureDevVars();
    keep("operator token", stack.adminToken);
    keep("signing key seed", devVars.REMIT_SIGNING_KEY);
    keep("anchor private key", stack.vars.ANCHOR_PRIVATE_KEY);
    keep("anchor RPC URL", stack.vars.ANCHOR_RPC_URL);
    keep("anchor RPC credential", RPC_CREDENTIAL);

    const operator = new RemitOperator({ baseUrl: stack.url, adminToken: stack.adminToken });
    const created = await operator.createPrincipal({ name: "Log secrets" });
    keep("first API key", created.api_key);
    const principal = new RemitPrincipal({ baseUrl: stack.url, apiKey: created.api_key! });
    const second = await principal.apiKeys.create({ label: "second" });
    keep("second API key", second.api_key);

    const rootKey = generateAgentKey();
    keep("agent private key", rootKey.privateJwk.d);
    const grant = await principal.grant({ agentKey: rootKey, scopes: [SCOPE], expiresIn: 3600, limits: { budgets: [{ asset: "USD", amount: "1000" }] }, maxDepth: 2 });
    keep("session token", grant.token);
    const agent = new RemitAgent({ baseUrl: stack.url, token: grant.token, key: rootKey });

    const child = await agent.delegate({ scopes: ["http:GET:api.example.com/v1/*"], limits: { budgets: [{ asset: "USD", amount: "200" }] } });
    keep("delegated token", child.token);
    await agent.authorize("http:GET:api.example.com/v1/quotes", { amount: { asset: "USD", value: 30 } });
    const hold = await child.agent!.hold("http:GET:api.example.com/v1/orders", { asset: "USD", value: "20" });
    await child.agent!.capture(hold.id, 15);

    const endpoint = await principal.webhookEndpoints.create({ url: "http://127.0.0.1:9/hooks", events: ["*"] });
    keep("webhook secret", endpoint.secret);
    const rotated = await principal.webhookEndpoints.rotateSecret(endpoint.id);
    keep("rotated webhook secret", rotated.secret);

    // Refusals, and credentials where a careless client might put them: a query string, a bad header.
    expect(await raw("GET", `/v1/api-keys?api_key=${encodeURIComponent(created.api_key!)}`)).toBe(401);
    expect(await raw("GET", `/v1/session?access_token=${encodeURIComponent(grant.token)}`, { authorization: `Bearer ${grant.token}` })).toBe(401);
    expect(await raw("POST", "/v1/principals", { authorization: `Bearer ${second.api_key}` })).toBe(401);
    expect(await raw("GET", `/v1/admin/settlement?token=${stack.adminToken}`)).toBe(401);

    // Settle for real: the receipts drain to the ledger shards and seal by time, then one anchor
    // goes to anvil through the RPC URL with its credential.
    await until(
      "the receipts sealed in the ledger",
      () => ledgerTotals(stack as unknown as TestStack),
      (t) => t.received >= 2 && t.open === 0,
    );
    const run = await operator.settle({ seal: false });
    expect(run).toMatchObject({ action: "anchored", anchor: { status: "anchored" } });
    expect(proxied).toBeGreaterThan(0);

    // wrangler flushes the worker's output a moment after the response.
    await new Promise((r) => setTimeout(r, 1500));

    const requestLines = lines.filter((l) => l.includes('"msg":"request"'));
    // Positive control: one structured line per request above (16 requests were made).
    expect(requestLines.length).toBeGreaterThanOrEqual(16);
    const parsed = requestLines.map((l) => JSON.parse(l.slice(l.indexOf("{"))) as RequestLogLine);
    expect(parsed.map((p) => p.route)).toEqual(
      expect.arrayContaining(["/v1/principals", "/v1/delegations", "/v1/holds/:id/capture", "/v1/webhook-endpoints/:id/rotate-secret", "/v1/admin/settle"]),
    );
    expect(parsed.filter((p) => p.decision === "refused").length).toBeGreaterThanOrEqual(4);

    if (process.env.LOG_SECRETS_SHOW) console.log([...banner, "--- ready ---", ...lines].join("\n"));
    // Everything wrangler printed, its start-up banner included (it shows vars and secrets as "(hidden)").
    const leaksIn = (printed: string[]) => [...secrets].flatMap(([what, value]) => printed.filter((l) => l.includes(value)).map((l) => `${what}: ${l}`));
    expect(leaksIn([...banner, ...lines])).toEqual([]);
    // The detector itself finds a secret where there is one.
    expect(leaksIn([`oops ${grant.token}`, `rpc ${stack.vars.ANCHOR_RPC_URL}`]).length).toBeGreaterThanOrEqual(3);
  });
});
