/**
 * remit-mcp, the MCP gateway, end to end: the official SDK's Client → a real remit-mcp
 * process → the test upstream MCP server (test/support/mcp-upstream.mjs), with every
 * call decided by the real worker (wrangler dev).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { generateAgentKey, RemitAgent, RemitPrincipal, type Grant } from "@remit/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callDigest } from "../../mcp/src/digest";
import {
  runGateway,
  startHttpGateway,
  startHttpUpstream,
  startStdioGateway,
  tempDir,
  upstreamCalls,
  writeConfig,
  writeKeyFile,
  type RunningGateway,
  type Session,
} from "../support/mcp-gateway";
import { useStack } from "../support/stack";

const stack = useStack({ withChain: false });
const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const fresh = (stem: string) => join(dir, `${stem}-${++n}`);

interface Granted {
  principal: RemitPrincipal;
  grant: Grant;
  session: Session;
  agent: RemitAgent;
}

async function grant(options: { scopes?: string[]; budget?: string; calls?: number; maxDepth?: number } = {}): Promise<Granted> {
  const p = await stack().createPrincipal("MCP");
  const principal = new RemitPrincipal({ baseUrl: stack().url, apiKey: p.apiKey });
  const key = generateAgentKey();
  const g = await principal.grant({
    agentKey: key,
    scopes: options.scopes ?? ["mcp:call:weather/*"],
    expiresIn: 3600,
    ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
    limits: { budgets: [{ asset: "USD", amount: options.budget ?? "1000" }], ...(options.calls !== undefined ? { calls: options.calls } : {}) },
  });
  const keyFile = writeKeyFile(dir, key, `${g.session.id}.jwk`);
  return { principal, grant: g, session: { url: stack().url, token: g.token, keyFile }, agent: new RemitAgent({ baseUrl: stack().url, token: g.token, key }) };
}

interface Running {
  granted: Granted;
  gw: RunningGateway;
  upstreamLog: string;
}

const open: RunningGateway[] = [];
afterAll(async () => {
  await Promise.all(open.map((g) => g.close().catch(() => {})));
});

async function gateway(options: Parameters<typeof grant>[0] & { config?: Record<string, unknown> } = {}): Promise<Running> {
  const granted = await grant(options);
  const upstreamLog = fresh("upstream.log");
  const gw = await startStdioGateway(granted.session, writeConfig(dir, upstreamLog, options.config ?? {}, `config-${n}.json`));
  open.push(gw);
  return { granted, gw, upstreamLog };
}

const call = (gw: RunningGateway, name: string, args: Record<string, unknown> = {}) => gw.client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("");
const remit = (r: CallToolResult) => (r._meta?.remit ?? {}) as Record<string, any>;
const spentUsd = async (g: Granted) => (await g.principal.session(g.grant.session.id)).counters.budgets.find((b) => b.asset === "USD")!;

describe("happy: the gateway in front of a stdio upstream", () => {
  let r: Running;
  beforeAll(async () => {
    r = await gateway();
  });

  it("lists the tools the session's scopes cover and the config does not deny", async () => {
    const { tools } = await r.gw.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["add_tool", "broken", "buy", "flaky", "get_forecast", "ping", "slow"]);
    expect(tools.find((t) => t.name === "get_forecast")!.description).toBe("The weather forecast for a city");
  });

  it("a priced call holds the price, calls the upstream, captures, and answers with the receipt, digest and what remains", async () => {
    const before = upstreamCalls(r.upstreamLog).length;
    const res = await call(r.gw, "get_forecast", { city: "Paris" });
    expect(res.isError).toBeFalsy();
    expect(textOf(res)).toBe("Sunny in Paris, 21°C");
    expect(res.structuredContent).toEqual({ city: "Paris", sky: "sunny", celsius: 21 });
    const m = remit(res);
    expect(m.decision).toBe("captured");
    expect(m.scope).toBe("mcp:call:weather/get_forecast");
    expect(m.charged).toEqual({ asset: "USD", value: "5" });
    expect(m.request_digest).toBe(callDigest("get_forecast", { city: "Paris" }));
    expect(m.receipt).toMatch(/^rcp_/);
    expect(m.hold).toMatch(/^hld_/);
    expect(m.remaining.budgets[0]).toMatchObject({ asset: "USD", limit: "1000", spent: "5", held: "0", remaining: "995" });
    expect(upstreamCalls(r.upstreamLog).length).toBe(before + 1);
    expect((await spentUsd(r.granted)).spent).toBe("5");
  });

  it("the capture receipt fetches for the agent and the principal and names the hold and carries the call's digest", async () => {
    const res = await call(r.gw, "get_forecast", { city: "Oslo" });
    const m = remit(res);
    const byAgent = await r.granted.agent.receipt(m.receipt);
    const byPrincipal = await r.granted.principal.receipt(m.receipt);
    expect(byAgent).toEqual(byPrincipal);
    expect(byAgent.receipt).toMatchObject({ id: m.receipt, kind: "capture", hold: m.hold, scope: "mcp:call:weather/get_forecast", asset: "USD", amount: "5" });
    // The hold records the call's digest and its capture receipt signs it.
    expect(byAgent.receipt.request_digest).toBe(callDigest("get_forecast", { city: "Oslo" }));
    expect(m.request_digest).toBe(callDigest("get_forecast", { city: "Oslo" }));
  });

  it("a free call is one authorize with no amount whose receipt carries the call's digest", async () => {
    const spent = (await spentUsd(r.granted)).spent;
    const res = await call(r.gw, "ping", { n: 1, nested: { b: 2, a: [1, "x"] } });
    expect(textOf(res)).toBe("pong");
    const m = remit(res);
    expect(m.decision).toBe("allowed");
    const digest = callDigest("ping", { n: 1, nested: { b: 2, a: [1, "x"] } });
    expect(m.request_digest).toBe(digest);
    const receipt = await r.granted.principal.receipt(m.receipt);
    expect(receipt.receipt).toMatchObject({ kind: "authorize", scope: "mcp:call:weather/ping", amount: null, request_digest: digest });
    expect((await spentUsd(r.granted)).spent).toBe(spent);
  });

  it("an amount_from call is priced by its argument, a string or a whole number of minor units", async () => {
    const spent = BigInt((await spentUsd(r.granted)).spent);
    const a = await call(r.gw, "buy", { item: "tea", order: { amount: "120" } });
    const b = await call(r.gw, "buy", { item: "cake", order: { amount: 30 } });
    expect([remit(a).decision, remit(b).decision]).toEqual(["captured", "captured"]);
    expect(remit(a).charged).toEqual({ asset: "USD", value: "120" });
    expect(remit(b).charged).toEqual({ asset: "USD", value: "30" });
    expect(BigInt((await spentUsd(r.granted)).spent)).toBe(spent + 150n);
  });

  it("logs one JSON line per call on stderr, never the token or the key", async () => {
    await call(r.gw, "ping");
    const calls = r.gw.logs.filter((l) => l.event === "call");
    expect(calls.length).toBeGreaterThanOrEqual(5);
    for (const l of calls) {
      expect(Object.keys(l)).toEqual(expect.arrayContaining(["tool", "decision", "amount", "receipt", "ms"]));
      expect(typeof l.ms).toBe("number");
    }
    expect(calls.find((l) => l.tool === "get_forecast")).toMatchObject({ decision: "captured", amount: "5 USD" });
    const key = JSON.parse((await import("node:fs")).readFileSync(r.granted.session.keyFile, "utf8")) as { d: string };
    expect(r.gw.stderr()).not.toContain(r.granted.session.token);
    expect(r.gw.stderr()).not.toContain(key.d);
  });

  it("re-reads the list when the upstream says it changed, and tells its own client", async () => {
    expect((await r.gw.client.listTools()).tools.map((t) => t.name)).not.toContain("late_tool");
    await call(r.gw, "add_tool");
    await expect.poll(() => r.gw.notifications.includes("notifications/tools/list_changed"), { timeout: 10_000 }).toBe(true);
    expect((await r.gw.client.listTools()).tools.map((t) => t.name)).toContain("late_tool");
    expect(textOf(await call(r.gw, "late_tool"))).toBe("late and here");
  });
});

describe("happy: budgets under concurrency", () => {
  it("priced calls fired all at once stop exactly at ⌊budget / price⌋", async () => {
    const r = await gateway({ budget: "103" }); // ⌊103 / 5⌋ = 20
    const results = await Promise.all(Array.from({ length: 32 }, (_, i) => call(r.gw, "get_forecast", { city: `c${i}` })));
    const captured = results.filter((x) => remit(x).decision === "captured");
    const refused = results.filter((x) => x.isError);
    expect(captured.length).toBe(20);
    expect(refused.length).toBe(12);
    for (const x of refused) expect(remit(x).code).toBe("budget-exceeded");
    expect(upstreamCalls(r.upstreamLog).length).toBe(20);
    expect(await spentUsd(r.granted)).toMatchObject({ spent: "100", held: "0", remaining: "3" });
  });
});

describe("errors: a failed tool costs nothing", () => {
  let r: Running;
  beforeAll(async () => {
    r = await gateway();
  });

  it("an upstream that throws: the hold is voided, spent is unchanged", async () => {
    const res = await call(r.gw, "flaky");
    expect(res.isError).toBe(true);
    expect(textOf(res)).toContain("the flaky tool failed on purpose");
    expect(remit(res)).toMatchObject({ decision: "voided", charged: null });
    expect((await r.granted.principal.receipt(remit(res).receipt)).receipt.kind).toBe("void");
    expect(await spentUsd(r.granted)).toMatchObject({ spent: "0", held: "0" });
  });

  it("an upstream answering isError: passed through as it came, the hold voided", async () => {
    const res = await call(r.gw, "broken");
    expect(res.isError).toBe(true);
    expect(textOf(res)).toBe("the broken tool reports an error");
    expect(remit(res).decision).toBe("voided");
    expect(await spentUsd(r.granted)).toMatchObject({ spent: "0", held: "0" });
  });

  it("an upstream that outlives timeout_ms: the hold is voided", async () => {
    const res = await call(r.gw, "slow", { ms: 6000 });
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(/timed out/i);
    expect(remit(res).decision).toBe("voided");
    expect(await spentUsd(r.granted)).toMatchObject({ spent: "0", held: "0" });
  });

  it("refuses a call without its amount, before anything is sent upstream", async () => {
    const before = upstreamCalls(r.upstreamLog).length;
    const res = await call(r.gw, "buy", { item: "tea" });
    expect(res.isError).toBe(true);
    expect(textOf(res)).toContain('priced by its "order.amount" argument and the call has none');
    expect(remit(res).type).toBe("invalid-amount");
    expect(upstreamCalls(r.upstreamLog).length).toBe(before);
  });

  it.each([["12.5"], ["-3"], ["1e3"], [" 7"], [12.5], [-1], [2 ** 53], [null], [true], [{ v: 1 }], ["007"]])(
    "refuses a malformed amount %j, and the upstream is not called",
    async (amount) => {
      const before = upstreamCalls(r.upstreamLog).length;
      const res = await call(r.gw, "buy", { item: "tea", order: { amount } });
      expect(res.isError).toBe(true);
      expect(textOf(res)).toContain("Send the amount in minor units");
      expect(upstreamCalls(r.upstreamLog).length).toBe(before);
    },
  );

  it("a refusal is the problem's own words, with its type and denial receipt; the upstream is not called", async () => {
    const small = await gateway({ budget: "4" });
    const res = await call(small.gw, "get_forecast", { city: "Rome" });
    expect(res.isError).toBe(true);
    const m = remit(res);
    expect(m.decision).toBe("refused");
    expect(m.code).toBe("budget-exceeded");
    expect(m.type).toMatch(/\/problems\/budget-exceeded$/);
    // Budget 4 (minor units), price 5: the problem's words, in dollars.
    expect(textOf(res)).toMatch(/\$0\.05 would exceed .*: \$0\.04 remains/);
    expect(m.receipt).toMatch(/^rcp_/);
    expect((await small.granted.principal.receipt(m.receipt)).receipt.kind).toBe("denial");
    expect(upstreamCalls(small.upstreamLog)).toEqual([]);
  });

  it("calls run out: the next call is refused with calls-exhausted", async () => {
    const few = await gateway({ calls: 1 });
    expect(remit(await call(few.gw, "ping")).decision).toBe("allowed");
    const res = await call(few.gw, "ping");
    expect(remit(res).code).toBe("calls-exhausted");
    expect(upstreamCalls(few.upstreamLog).length).toBe(1);
  });
});

describe("security", () => {
  it("hidden tools are neither listed nor callable: denied, unlisted, and outside the scopes all answer as an unknown tool", async () => {
    const r = await gateway({ scopes: ["mcp:call:weather/get_forecast", "mcp:call:weather/ping"] });
    expect((await r.gw.client.listTools()).tools.map((t) => t.name).sort()).toEqual(["get_forecast", "ping"]);
    const answers = await Promise.all(["drop_table", "echo", "buy", "no_such_tool"].map((t) => call(r.gw, t, { table: "users" })));
    for (const [i, name] of ["drop_table", "echo", "buy", "no_such_tool"].entries()) {
      expect(answers[i]!.isError).toBe(true);
      expect(textOf(answers[i]!)).toBe(`Unknown tool: ${name}. Call tools/list to see the tools this session may call.`);
      expect(remit(answers[i]!)).toEqual({ decision: "refused", type: "unknown-tool" });
    }
    expect(upstreamCalls(r.upstreamLog)).toEqual([]);
  });

  it('"unlisted": "free" shows and lets through the tools the config does not name, at no cost; "deny" in the config still hides', async () => {
    const r = await gateway({ config: { unlisted: "free" } });
    const names = (await r.gw.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("echo");
    expect(names).not.toContain("drop_table");
    const res = await call(r.gw, "echo", { a: 1 });
    expect(textOf(res)).toBe('{"a":1}');
    expect(remit(res).decision).toBe("allowed");
  });

  it("a revoked session stops the next call, and the upstream never sees it", async () => {
    const r = await gateway();
    expect(remit(await call(r.gw, "get_forecast", { city: "Lima" })).decision).toBe("captured");
    await r.granted.principal.revoke(r.granted.grant.session.id);
    const res = await call(r.gw, "get_forecast", { city: "Quito" });
    expect(res.isError).toBe(true);
    expect(remit(res).code).toBe("session-revoked");
    expect(upstreamCalls(r.upstreamLog).map((c) => c.arguments.city)).toEqual(["Lima"]);
  });

  it("the upstream process is started without the session's REMIT_* variables", async () => {
    const r = await gateway({ config: { unlisted: "free" } });
    const res = await call(r.gw, "env");
    expect(remit(res).decision).toBe("allowed");
    expect(JSON.parse(textOf(res))).toEqual([]);
  });
});

describe("errors: refused at start", () => {
  it("refuses a bad config with each field and how to fix it", async () => {
    const cfg = writeConfig(
      dir,
      fresh("bad.log"),
      {
        server: "weather/eu",
        tools: { a: { price: { asset: "usd", value: "5" } }, b: { amount_from: "amount" }, c: { price: { asset: "USD", value: "5" }, deny: true }, d: { cost: 1 } },
        unlisted: "allow",
      },
      "bad.json",
    );
    const run = await runGateway(["--config", cfg], { REMIT_URL: "http://127.0.0.1:1", REMIT_TOKEN: "x", REMIT_AGENT_KEY: "/nonexistent" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is not a valid remit-mcp config");
    expect(run.stderr).toContain("server: the name tool scopes use (mcp:call:<server>/<tool>)");
    expect(run.stderr).toContain("tools.a.price.asset: an asset code is 2-16 of A-Z");
    expect(run.stderr).toContain('tools.b.asset: an "amount_from" tool needs "asset"');
    expect(run.stderr).toContain('tools.c: give exactly one of "price", "amount_from", "free" or "deny" (found price, deny)');
    expect(run.stderr).toContain('tools.d: unknown field(s) "cost"');
    expect(run.stderr).toContain('unlisted: either "free"');
  });

  it("refuses to start without the session in the environment, naming what is missing", async () => {
    const cfg = writeConfig(dir, fresh("noenv.log"), {}, "noenv.json");
    const run = await runGateway(["--config", cfg], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("REMIT_URL, REMIT_TOKEN, REMIT_AGENT_KEY not set");
  });
});

describe("happy: Streamable HTTP on both sides", () => {
  it("a gateway with --http in front of an upstream on Streamable HTTP lists, charges and refuses", async () => {
    const g = await grant({ budget: "12" });
    const upstreamLog = fresh("http-upstream.log");
    const upstream = await startHttpUpstream(upstreamLog);
    try {
      const cfg = writeConfig(dir, upstreamLog, { upstream: { url: upstream.url } }, "http-config.json");
      const gw = await startHttpGateway(g.session, ["--config", cfg]);
      try {
        expect(gw.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
        expect((await gw.client.listTools()).tools.map((t) => t.name)).toContain("get_forecast");
        const flaky = await call(gw, "flaky");
        expect(remit(flaky).decision).toBe("voided");
        const results = [await call(gw, "get_forecast", { city: "A" }), await call(gw, "get_forecast", { city: "B" }), await call(gw, "get_forecast", { city: "C" })];
        expect(results.map((x) => remit(x).decision)).toEqual(["captured", "captured", "refused"]);
        expect(remit(results[2]!).code).toBe("budget-exceeded");
        expect(upstreamCalls(upstreamLog).map((c) => c.tool + (c.arguments.city ?? ""))).toEqual(["flaky", "get_forecastA", "get_forecastB"]);
        expect(await spentUsd(g)).toMatchObject({ spent: "10", held: "0", remaining: "2" });
      } finally {
        await gw.close();
      }
    } finally {
      await upstream.stop();
    }
  });
});

describe("remit-mcp --tools: Remit's own tools for agents", () => {
  let g: Granted;
  let tools: RunningGateway;
  let keyDir: string;
  beforeAll(async () => {
    g = await grant({ scopes: ["mcp:call:weather/*", "http:GET:api.example.com/*"], budget: "500", calls: 50, maxDepth: 1 });
    keyDir = fresh("keys");
    tools = await startStdioGateway(g.session, "", ["--tools", "--key-dir", keyDir]);
    open.push(tools);
  });

  it("lists remit_status, remit_authorize, remit_delegate and remit_revoke_self, each described for a model", async () => {
    const { tools: list } = await tools.client.listTools();
    expect(list.map((t) => t.name)).toEqual(["remit_status", "remit_authorize", "remit_delegate", "remit_revoke_self"]);
    for (const t of list) expect(t.description!.length).toBeGreaterThan(100);
  });

  it("remit_status tells what remains: budgets per window, calls, rate, scopes and expiry", async () => {
    const res = await call(tools, "remit_status");
    expect(res.isError).toBeFalsy();
    expect(res.structuredContent).toMatchObject({
      session: g.grant.session.id,
      status: "active",
      scopes: ["mcp:call:weather/*", "http:GET:api.example.com/*"],
      budgets: [{ asset: "USD", period: null, limit: "500", spent: "0", held: "0", remaining: "500" }],
      calls: 50,
      rate: null,
      expires_at: g.grant.session.expires_at,
    });
  });

  it("remit_authorize authorizes an action with an amount (a receipt, the amount debited) and refuses one over budget in the problem's words", async () => {
    const ok = await call(tools, "remit_authorize", { scope: "http:GET:api.example.com/v1/items", amount: { asset: "USD", value: "200" } });
    expect(ok.isError).toBeFalsy();
    const body = ok.structuredContent as Record<string, any>;
    expect(body).toMatchObject({ allowed: true, scope: "http:GET:api.example.com/v1/items" });
    expect((await g.principal.receipt(body.receipt)).receipt).toMatchObject({ kind: "authorize", amount: "200", asset: "USD" });
    const no = await call(tools, "remit_authorize", { scope: "http:GET:api.example.com/v1/items", amount: { asset: "USD", value: "400" } });
    expect(no.isError).toBe(true);
    expect(remit(no).code).toBe("budget-exceeded");
    expect(textOf(no)).toMatch(/^\$4\.00 would exceed .*: \$3\.00 remains$/);
    const bad = await call(tools, "remit_authorize", { amount: { asset: "USD", value: "1" } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toContain("scope");
  });

  it("remit_delegate makes a narrower child session: its token, and a key file written 0600 that a sub-agent can use", async () => {
    const { statSync, readFileSync } = await import("node:fs");
    const res = await call(tools, "remit_delegate", {
      scopes: ["mcp:call:weather/get_forecast"],
      budgets: [{ asset: "USD", amount: "20" }],
      expires_in: 600,
      label: "forecaster",
    });
    expect(res.isError, textOf(res)).toBeFalsy();
    const child = res.structuredContent as { session: string; token: string; key_file: string; scopes: string[] };
    expect(child.scopes).toEqual(["mcp:call:weather/get_forecast"]);
    expect(child.key_file.startsWith(keyDir)).toBe(true);
    expect(statSync(child.key_file).mode & 0o777).toBe(0o600);
    expect(textOf(res)).not.toContain(JSON.parse(readFileSync(child.key_file, "utf8")).d);
    // The sub-agent, through the gateway, with only what it was given.
    const upstreamLog = fresh("child.log");
    const gw = await startStdioGateway({ url: stack().url, token: child.token, keyFile: child.key_file }, writeConfig(dir, upstreamLog, {}, "child-config.json"));
    open.push(gw);
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toEqual(["get_forecast"]);
    const results = await Promise.all(Array.from({ length: 5 }, () => call(gw, "get_forecast", { city: "Bern" })));
    expect(results.filter((x) => remit(x).decision === "captured").length).toBe(4);
    expect((await g.principal.session(child.session)).counters.budgets[0]).toMatchObject({ spent: "20" });
  });

  it("remit_delegate refuses anything wider than the session, in the problem's words", async () => {
    const res = await call(tools, "remit_delegate", { scopes: ["mcp:call:payments/*"] });
    expect(res.isError).toBe(true);
    expect(remit(res).code).toBe("delegation-widens");
  });

  it("remit_revoke_self says clearly that it is not available yet, and changes nothing", async () => {
    const res = await call(tools, "remit_revoke_self");
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(/^Not available yet/);
    expect((await call(tools, "remit_status")).structuredContent).toMatchObject({ status: "active" });
  });
});
