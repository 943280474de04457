/**
 * Guards for agent frameworks, against the real worker: the Vercel AI SDK's `tool()`
 * and the OpenAI Agents SDK's `tool()` (their own packages, invoked the way the
 * framework invokes a tool, without a model), `remitFetch` against a loopback HTTP
 * server, and `verifyReceiptSignature` against the live JWKS.
 */
import { RunContext, tool as agentsTool } from "@openai/agents";
import { tool as aiTool } from "ai";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  BudgetExceededError,
  generateAgentKey,
  guardExecute,
  guardTool,
  httpRequestDigest,
  RemitAgent,
  RemitClient,
  RemitPrincipal,
  remitFetch,
  ScopeDeniedError,
  SessionRevokedError,
  toolCallDigest,
  ValidationFailedError,
  verifyReceiptSignature,
  type GrantOptions,
  type SignedReceipt,
} from "@remit/sdk";
import { useStack } from "../support/stack";

const stack = useStack({ withChain: false });

const TOOLS = "tool:call:*";
const USD = (value: number) => ({ asset: "USD", value });

/** A principal and a root agent for `scopes`, with a USD budget. */
async function setup(budget = 1000, overrides: Partial<GrantOptions> = {}) {
  const p = await stack().createPrincipal();
  const principal = new RemitPrincipal({ baseUrl: stack().url, apiKey: p.apiKey });
  const key = generateAgentKey();
  const grant = await principal.grant({
    agentKey: key,
    scopes: [TOOLS],
    expiresIn: 3600,
    limits: { budgets: [{ asset: "USD", amount: String(budget) }] },
    ...overrides,
  } as GrantOptions);
  const agent = new RemitAgent({ baseUrl: stack().url, token: grant.token, key });
  const usd = async () => (await principal.session(agent.sessionId)).counters.budgets.find((b) => b.asset === "USD")!;
  /** The session's receipts, as its principal lists them. */
  const receipts = async (): Promise<SignedReceipt[]> => {
    const res = await fetch(`${stack().url}/v1/sessions/${agent.sessionId}/receipts?limit=100`, { headers: { authorization: `Bearer ${p.apiKey}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: SignedReceipt[] }).data;
  };
  return { principal, agent, usd, receipts };
}

async function rejection(promise: unknown): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection, got success");
}

const aiOptions = (id = "call_1") => ({ toolCallId: id, messages: [], context: {} });

describe("guardTool × the Vercel AI SDK's tool()", () => {
  function quoteTool(runs: { n: number }) {
    return aiTool({
      description: "Get a quote",
      inputSchema: z.object({ symbol: z.string(), size: z.number() }),
      execute: async ({ symbol, size }) => {
        runs.n++;
        return { symbol, price: 42 * size };
      },
    });
  }

  describe("happy", () => {
    it("a free call is authorized once with toolCallDigest(name, input), runs, and returns the result unchanged", async () => {
      const { agent } = await setup();
      const runs = { n: 0 };
      const receipts: SignedReceipt[] = [];
      const quote = guardTool(quoteTool(runs), { agent, name: "quote", scope: "tool:call:quote", onReceipt: (r) => void receipts.push(r) });
      const input = { symbol: "ACME", size: 2 };

      const result = await quote.execute(input, aiOptions());

      expect(result).toEqual({ symbol: "ACME", price: 84 });
      expect(runs.n).toBe(1);
      expect(receipts).toHaveLength(1);
      expect(receipts[0]!.receipt).toMatchObject({ kind: "authorize", scope: "tool:call:quote", amount: null });
      expect(receipts[0]!.receipt.request_digest).toBe(await toolCallDigest("quote", input));
      expect(receipts[0]!.receipt.request_digest).toBe(await toolCallDigest("quote", { size: 2, symbol: "ACME" }));
    });

    it("priced calls fired concurrently stop exactly at ⌊budget/price⌋", async () => {
      const { agent, usd } = await setup(1000);
      const runs = { n: 0 };
      const quote = guardTool(quoteTool(runs), { agent, name: "quote", scope: "tool:call:quote", price: USD(300) });

      const settled = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => quote.execute({ symbol: "ACME", size: i }, aiOptions(`call_${i}`))));

      expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(3);
      const refused = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
      expect(refused).toHaveLength(5);
      for (const r of refused) expect(r.reason).toBeInstanceOf(BudgetExceededError);
      expect(runs.n).toBe(3);
      expect(await usd()).toMatchObject({ spent: "900", held: "0", remaining: "100" });
    });

    it("amountFrom holds the amount read from the input and captures it", async () => {
      const { agent, usd } = await setup(1000);
      const receipts: SignedReceipt[] = [];
      const pay = guardTool(
        aiTool({
          description: "Pay an invoice",
          inputSchema: z.object({ invoice: z.object({ id: z.string(), amount: z.number() }) }),
          execute: async ({ invoice }) => ({ paid: invoice.id }),
        }),
        { agent, name: "pay", scope: "tool:call:pay", amountFrom: "invoice.amount", asset: "USD", onReceipt: (r) => void receipts.push(r) },
      );

      expect(await pay.execute({ invoice: { id: "inv_1", amount: 250 } }, aiOptions())).toEqual({ paid: "inv_1" });

      expect(receipts[0]!.receipt).toMatchObject({ kind: "capture", scope: "tool:call:pay", asset: "USD", amount: "250" });
      expect(await usd()).toMatchObject({ spent: "250", held: "0" });
    });
  });

  describe("error", () => {
    it("a failing tool costs nothing: the hold is voided, spent unchanged, the tool's error rethrown", async () => {
      const { agent, usd, receipts } = await setup(1000);
      const boom = new Error("upstream down");
      const failing = guardTool(
        aiTool({
          description: "Fails",
          inputSchema: z.object({ x: z.number() }),
          execute: async (): Promise<{ ok: true }> => {
            throw boom;
          },
        }),
        { agent, name: "failing", scope: "tool:call:failing", price: USD(400) },
      );

      expect(await rejection(failing.execute({ x: 1 }, aiOptions()))).toBe(boom);

      expect(await usd()).toMatchObject({ spent: "0", held: "0", remaining: "1000" });
      const kinds = (await receipts()).map((r) => r.receipt.kind);
      expect(kinds).toEqual(["void"]);
    });

    it("amountFrom refuses a missing or malformed amount without running the tool or asking the service", async () => {
      const { agent, receipts, usd } = await setup(1000);
      const runs = { n: 0 };
      const pay = guardTool(
        aiTool({
          description: "Pay",
          inputSchema: z.object({ amount: z.unknown().optional() }),
          execute: async () => {
            runs.n++;
            return "paid";
          },
        }),
        { agent, name: "pay", scope: "tool:call:pay", amountFrom: "amount", asset: "USD" },
      );

      for (const input of [{}, { amount: null }, { amount: 0 }, { amount: -5 }, { amount: 1.5 }, { amount: "12.50" }, { amount: "abc" }, { amount: 2 ** 60 }]) {
        const err = await rejection(pay.execute(input, aiOptions()));
        expect(err, JSON.stringify(input)).toBeInstanceOf(ValidationFailedError);
        expect((err as ValidationFailedError).errors[0]!.field).toBe("amount");
      }
      expect(runs.n).toBe(0);
      expect(await receipts()).toEqual([]);
      expect(await usd()).toMatchObject({ spent: "0", held: "0" });
    });

    it('with onRefusal: "result" a refusal is returned to the model as text, and the tool does not run', async () => {
      const { agent } = await setup(100);
      const runs = { n: 0 };
      const quote = guardTool(quoteTool(runs), { agent, name: "quote", scope: "tool:call:quote", price: USD(300), onRefusal: "result" });

      const result = await quote.execute({ symbol: "ACME", size: 1 }, aiOptions());

      expect(typeof result).toBe("string");
      expect(result).toMatch(/^Remit refused this call \(budget-exceeded\): /);
      expect(runs.n).toBe(0);
    });
  });

  describe("security", () => {
    it("a revoked session stops the next call before the tool runs", async () => {
      const { agent, principal } = await setup(1000);
      const runs = { n: 0 };
      const quote = guardTool(quoteTool(runs), { agent, name: "quote", scope: "tool:call:quote", price: USD(10) });
      await quote.execute({ symbol: "ACME", size: 1 }, aiOptions());

      await principal.revoke(agent.sessionId);

      expect(await rejection(quote.execute({ symbol: "ACME", size: 1 }, aiOptions()))).toBeInstanceOf(SessionRevokedError);
      expect(runs.n).toBe(1);
    });

    it("a tool outside the session's scopes is refused before it runs", async () => {
      const { agent } = await setup(1000, { scopes: ["tool:call:quote"] });
      const runs = { n: 0 };
      const other = guardTool(quoteTool(runs), { agent, name: "trade", scope: "tool:call:trade" });

      expect(await rejection(other.execute({ symbol: "ACME", size: 1 }, aiOptions()))).toBeInstanceOf(ScopeDeniedError);
      expect(runs.n).toBe(0);
    });
  });
});

describe("guardExecute / guardTool × the OpenAI Agents SDK's tool()", () => {
  const parameters = z.object({ city: z.string(), nights: z.number() });

  describe("happy", () => {
    it("invoke (as the Runner calls it) authorizes the parsed arguments' digest and returns the result", async () => {
      const { agent } = await setup();
      const receipts: SignedReceipt[] = [];
      const book = agentsTool({
        name: "book_hotel",
        description: "Book a hotel",
        parameters,
        execute: guardExecute(async ({ city, nights }) => `booked ${nights} nights in ${city}`, {
          agent,
          name: "book_hotel",
          scope: "tool:call:book_hotel",
          onReceipt: (r) => void receipts.push(r),
        }),
      });

      const out = await book.invoke(new RunContext(), JSON.stringify({ city: "Lisbon", nights: 3 }));

      expect(out).toBe("booked 3 nights in Lisbon");
      expect(receipts[0]!.receipt.request_digest).toBe(await toolCallDigest("book_hotel", { city: "Lisbon", nights: 3 }));
    });

    it("guardTool on the tool's options takes its name; priced concurrent invokes stop at ⌊budget/price⌋", async () => {
      const { agent, usd } = await setup(1000);
      const runs = { n: 0 };
      const book = agentsTool(
        guardTool(
          {
            name: "book_hotel",
            description: "Book a hotel",
            parameters,
            errorFunction: null,
            execute: async ({ city }: z.infer<typeof parameters>) => {
              runs.n++;
              return `booked ${city}`;
            },
          },
          { agent, scope: "tool:call:book_hotel", price: USD(250) },
        ),
      );

      const settled = await Promise.allSettled(Array.from({ length: 7 }, () => book.invoke(new RunContext(), JSON.stringify({ city: "Porto", nights: 1 }))));

      expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(4);
      for (const s of settled) if (s.status === "rejected") expect(s.reason).toBeInstanceOf(BudgetExceededError);
      expect(runs.n).toBe(4);
      expect(await usd()).toMatchObject({ spent: "1000", held: "0", remaining: "0" });
    });
  });

  describe("error", () => {
    it("a failing tool costs nothing; the framework shows the model its own error text", async () => {
      const { agent, usd, receipts } = await setup(1000);
      const book = agentsTool({
        name: "book_hotel",
        description: "Book a hotel",
        parameters,
        execute: guardExecute(
          async (): Promise<string> => {
            throw new Error("no rooms");
          },
          { agent, name: "book_hotel", scope: "tool:call:book_hotel", price: USD(300) },
        ),
      });

      const out = await book.invoke(new RunContext(), JSON.stringify({ city: "Faro", nights: 2 }));

      expect(typeof out).toBe("string");
      expect(await usd()).toMatchObject({ spent: "0", held: "0" });
      expect((await receipts()).map((r) => r.receipt.kind)).toEqual(["void"]);
    });

    it('with onRefusal: "result" the model sees why Remit refused', async () => {
      const { agent } = await setup(100);
      const runs = { n: 0 };
      const book = agentsTool({
        name: "book_hotel",
        description: "Book a hotel",
        parameters,
        execute: guardExecute(
          async () => {
            runs.n++;
            return "booked";
          },
          { agent, name: "book_hotel", scope: "tool:call:book_hotel", price: USD(300), onRefusal: "result" },
        ),
      });

      const out = await book.invoke(new RunContext(), JSON.stringify({ city: "Faro", nights: 2 }));

      expect(out).toMatch(/^Remit refused this call \(budget-exceeded\): /);
      expect(runs.n).toBe(0);
    });
  });

  describe("security", () => {
    it("a revoked session stops the next invoke (errorFunction: null propagates the typed error)", async () => {
      const { agent, principal } = await setup(1000);
      const runs = { n: 0 };
      const book = agentsTool({
        name: "book_hotel",
        description: "Book a hotel",
        parameters,
        errorFunction: null,
        execute: guardExecute(
          async () => {
            runs.n++;
            return "booked";
          },
          { agent, name: "book_hotel", scope: "tool:call:book_hotel" },
        ),
      });
      await book.invoke(new RunContext(), JSON.stringify({ city: "Faro", nights: 1 }));

      await principal.revoke(agent.sessionId);

      expect(await rejection(book.invoke(new RunContext(), JSON.stringify({ city: "Faro", nights: 1 })))).toBeInstanceOf(SessionRevokedError);
      expect(runs.n).toBe(1);
    });
  });
});

describe("remitFetch", () => {
  let server: Server;
  let origin: string;
  let host: string;
  const seen: Array<{ method: string; url: string; body: string }> = [];
  const statusFor = (url: string) => (url.startsWith("/v1/fail") ? 503 : url.startsWith("/v1/missing") ? 404 : 200);

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        seen.push({ method: req.method!, url: req.url!, body });
        res.writeHead(statusFor(req.url!), { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    origin = `http://${host}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const fetchSetup = (budget = 1000) => setup(budget, { scopes: [`http:*:${host}/v1/*`] });

  describe("happy", () => {
    it("a free GET is authorized with its request digest, then sent", async () => {
      const { agent } = await fetchSetup();
      const receipts: SignedReceipt[] = [];
      const f = remitFetch(agent, { onReceipt: (r) => void receipts.push(r) });
      const before = seen.length;

      const res = await f(`${origin}/v1/quotes?symbol=ACME`);

      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
      expect(seen.slice(before)).toEqual([{ method: "GET", url: "/v1/quotes?symbol=ACME", body: "" }]);
      expect(receipts[0]!.receipt).toMatchObject({ kind: "authorize", scope: `http:GET:${host}/v1/quotes` });
      expect(receipts[0]!.receipt.request_digest).toBe(await httpRequestDigest({ method: "GET", url: `${origin}/v1/quotes?symbol=ACME` }));
    });

    it("a priced POST is held, sent and captured on a 2xx; its body is in the digest", async () => {
      const { agent, usd } = await fetchSetup();
      const receipts: SignedReceipt[] = [];
      const f = remitFetch(agent, { priceFor: (r) => (r.method === "POST" ? USD(120) : null), onReceipt: (r) => void receipts.push(r) });
      const before = seen.length;

      const res = await f(`${origin}/v1/orders`, { method: "POST", body: '{"qty":1}', headers: { "content-type": "application/json" } });

      expect(res.status).toBe(200);
      expect(seen.slice(before)).toEqual([{ method: "POST", url: "/v1/orders", body: '{"qty":1}' }]);
      expect(receipts[0]!.receipt).toMatchObject({ kind: "capture", amount: "120", scope: `http:POST:${host}/v1/orders` });
      expect(await usd()).toMatchObject({ spent: "120", held: "0" });
      expect(await httpRequestDigest({ method: "post", url: `${origin}/v1/orders`, body: new TextEncoder().encode('{"qty":1}') })).not.toBe(
        await httpRequestDigest({ method: "POST", url: `${origin}/v1/orders` }),
      );
    });
  });

  describe("error", () => {
    it("a 5xx or 4xx response voids the hold: nothing is spent, the response is returned", async () => {
      const { agent, usd, receipts } = await fetchSetup();
      const f = remitFetch(agent, { priceFor: () => USD(100) });

      expect((await f(`${origin}/v1/fail`)).status).toBe(503);
      expect((await f(`${origin}/v1/missing`)).status).toBe(404);

      expect(await usd()).toMatchObject({ spent: "0", held: "0" });
      expect((await receipts()).map((r) => r.receipt.kind)).toEqual(["void", "void"]);
    });

    it("a network error voids the hold and rethrows", async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const deadHost = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const { agent, usd, receipts } = await setup(1000, { scopes: [`http:*:${deadHost}/*`] });
      const f = remitFetch(agent, { priceFor: () => USD(100) });

      expect(await rejection(f(`http://${deadHost}/v1/x`))).toBeInstanceOf(TypeError);

      expect(await usd()).toMatchObject({ spent: "0", held: "0" });
      expect((await receipts()).map((r) => r.receipt.kind)).toEqual(["void"]);
    });
  });

  describe("security", () => {
    it("an out-of-scope URL is refused and never sent", async () => {
      const { agent } = await fetchSetup();
      const f = remitFetch(agent);
      const before = seen.length;

      expect(await rejection(f(`${origin}/admin/users`))).toBeInstanceOf(ScopeDeniedError);
      expect(await rejection(f(`${origin}/v1/../admin/users`))).toBeInstanceOf(ScopeDeniedError);
      expect(await rejection(f(`${origin}/V1/quotes`))).toBeInstanceOf(ScopeDeniedError);

      expect(seen.length).toBe(before);
    });

    it("a request over budget is refused and never sent", async () => {
      const { agent } = await fetchSetup(50);
      const f = remitFetch(agent, { priceFor: () => USD(100) });
      const before = seen.length;

      expect(await rejection(f(`${origin}/v1/orders`, { method: "POST", body: "{}" }))).toBeInstanceOf(BudgetExceededError);

      expect(seen.length).toBe(before);
    });

    it("redirects are not followed: the 3xx comes back to the caller", async () => {
      const redirecting = createServer((_req, res) => {
        res.writeHead(302, { location: "http://example.invalid/elsewhere" });
        res.end();
      });
      await new Promise<void>((resolve) => redirecting.listen(0, "127.0.0.1", resolve));
      const rHost = `127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
      try {
        const { agent } = await setup(1000, { scopes: [`http:*:${rHost}/*`] });
        const res = await remitFetch(agent)(`http://${rHost}/go`);
        expect(res.status).toBe(302);
        expect(res.headers.get("location")).toBe("http://example.invalid/elsewhere");
      } finally {
        await new Promise<void>((resolve) => redirecting.close(() => resolve()));
      }
    });
  });
});

describe("verifyReceiptSignature", () => {
  async function fresh() {
    const { agent } = await setup();
    const digest = await toolCallDigest("quote", { symbol: "ACME" });
    const { receipt } = await agent.authorize("tool:call:quote", { requestDigest: digest });
    const jwks = await new RemitClient({ baseUrl: stack().url }).jwks();
    return { signed: receipt as SignedReceipt, digest, jwks };
  }

  describe("happy", () => {
    it("accepts a fresh receipt against the live JWKS, for its scope and digest, without anchoring", async () => {
      const { signed, digest, jwks } = await fresh();

      expect(verifyReceiptSignature(signed, jwks, { scope: "tool:call:quote", requestDigest: digest, maxAgeSeconds: 300 })).toEqual({ ok: true, reasons: [] });
    });
  });

  describe("security", () => {
    it("refuses a tampered receipt", async () => {
      const { signed, jwks } = await fresh();
      const receipt = { ...signed.receipt, amount: "1" };
      const tampered = { ...signed, receipt, bytes: signed.bytes.replace('"amount":null', '"amount":"1"') };

      const result = verifyReceiptSignature(tampered, jwks);
      expect(result.ok).toBe(false);
      expect(result.reasons).toEqual(["signature: invalid"]);
      expect(verifyReceiptSignature({ ...signed, receipt }, jwks).reasons).toEqual(["signature: invalid"]);
    });

    it("refuses a wrong scope and a wrong digest", async () => {
      const { signed, jwks } = await fresh();

      const result = verifyReceiptSignature(signed, jwks, { scope: "tool:call:trade", requestDigest: await toolCallDigest("quote", { symbol: "EVIL" }) });
      expect(result.ok).toBe(false);
      expect(result.reasons).toHaveLength(2);
      expect(result.reasons[0]).toMatch(/^scope: /);
      expect(result.reasons[1]).toMatch(/^request_digest: /);
    });

    it("refuses an unknown kid and a malformed receipt, without throwing", async () => {
      const { signed, jwks } = await fresh();

      expect(verifyReceiptSignature(signed, { keys: jwks.keys.map((k) => ({ ...k, kid: `${k.kid}-other` })) }).reasons).toEqual([
        `signature: no key "${signed.receipt.kid}" in the key set`,
      ]);
      expect(verifyReceiptSignature({ ...signed, receipt: { ...signed.receipt, kid: "nope" } }, jwks).reasons).toEqual(['signature: no key "nope" in the key set']);
      expect(verifyReceiptSignature(null as unknown as SignedReceipt, jwks).ok).toBe(false);
    });

    it("refuses a denial receipt: it is signed, but authorizes nothing", async () => {
      const { agent } = await setup(10);
      const err = (await rejection(agent.authorize("tool:call:quote", { amount: USD(100) }))) as BudgetExceededError;
      const denial = await agent.receipt(err.receiptId!);
      const jwks = await new RemitClient({ baseUrl: stack().url }).jwks();

      expect(denial.receipt.kind).toBe("denial");
      expect(verifyReceiptSignature(denial, jwks).reasons).toEqual(['kind: "denial" is not one of authorize, capture']);
    });
  });
});
