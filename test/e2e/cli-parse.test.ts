/** The CLI's notations and drawings, and the SDK's retry policy, without a server. */
import { describe, expect, it } from "vitest";
import { parseBudget, parseRate, parseWhen, UsageError } from "../../cli/src/parse";
import { bar, renderTree } from "../../cli/src/render";
import { HttpClient } from "../../sdk/src/http";
import { BudgetExceededError, errorFromProblem, parseRetryAfter, RemitError, problemName, RateLimitedError, RemitNetworkError } from "@remit/sdk";
import { amountString } from "@remit/sdk";
import type { Session } from "@remit/sdk";

describe("--budget --minor (integer minor units)", () => {
  it.each([
    ["USD:5000/day", { asset: "USD", amount: "5000", period: "day" }],
    ["usd:5_000/daily", { asset: "USD", amount: "5000", period: "day" }],
    ["EUR:250", { asset: "EUR", amount: "250" }],
    ["EUR:250/life", { asset: "EUR", amount: "250" }],
    ["USDC:1/hour", { asset: "USDC", amount: "1", period: "hour" }],
    ["GBP:0/week", { asset: "GBP", amount: "0", period: "week" }],
    ["JPY:10/month", { asset: "JPY", amount: "10", period: "month" }],
  ])("%s", (text, expected) => expect(parseBudget(text, true)).toEqual(expected));

  it.each(["USD", "USD:", "USD:12.50", "USD:-1", "USD:5/fortnight", "USD:5/constructor", "5:USD", "USD:007", "U:5"])("refuses %s", (text) =>
    expect(() => parseBudget(text, true)).toThrow(UsageError),
  );
});

describe("--budget (major units, the default)", () => {
  it.each([
    ["USD:50.00/day", { asset: "USD", amount: "5000", period: "day" }],
    ["USD:50/day", { asset: "USD", amount: "5000", period: "day" }],
    ["usd:1,000.5/daily", { asset: "USD", amount: "100050", period: "day" }],
    ["JPY:1550/month", { asset: "JPY", amount: "1550", period: "month" }],
    ["KWD:1.234", { asset: "KWD", amount: "1234" }],
    ["GPU_SECONDS:90", { asset: "GPU_SECONDS", amount: "90" }],
  ])("%s", (text, expected) => expect(parseBudget(text)).toEqual(expected));

  it("takes a configured asset's decimals", () =>
    expect(parseBudget("USDC:12.5/hour", false, { USDC: 6 })).toEqual({ asset: "USDC", amount: "12500000", period: "hour" }));

  it.each(["USD:12.505", "JPY:1.5", "GPU_SECONDS:1.5", "USD:-1", "USD:1,00", "USD:5/fortnight"])("refuses %s", (text) =>
    expect(() => parseBudget(text)).toThrow(UsageError),
  );
});

describe("--rate", () => {
  it.each([
    ["10/s", { requests: 10, per_seconds: 1 }],
    ["100/m", { requests: 100, per_seconds: 60 }],
    ["5/h", { requests: 5, per_seconds: 3600 }],
    ["5/30s", { requests: 5, per_seconds: 30 }],
    ["1/15m", { requests: 1, per_seconds: 900 }],
    ["1000/d", { requests: 1000, per_seconds: 86_400 }],
  ])("%s", (text, expected) => expect(parseRate(text)).toEqual(expected));

  it.each(["10", "0/s", "10/0s", "ten/s", "10/x", "10/s/s"])("refuses %s", (text) => expect(() => parseRate(text)).toThrow(UsageError));
});

describe("--expires", () => {
  const now = Date.parse("2030-01-01T00:00:00Z");
  it.each([
    ["30m", "2030-01-01T00:30:00.000Z"],
    ["2h", "2030-01-01T02:00:00.000Z"],
    ["1d", "2030-01-02T00:00:00.000Z"],
    ["90s", "2030-01-01T00:01:30.000Z"],
    ["2030-02-03T04:05:06Z", "2030-02-03T04:05:06.000Z"],
    ["2030-02-03T04:05:06.5+02:00", "2030-02-03T02:05:06.500Z"],
  ])("%s", (text, iso) => expect(parseWhen(text, "--expires", now).toISOString()).toBe(iso));

  it.each(["0m", "soon", "2030-02-03", "2h30", "-1h"])("refuses %s", (text) => expect(() => parseWhen(text, "--expires", now)).toThrow(UsageError));
});

describe("drawing", () => {
  it("bars split spent, held and remaining over 24 cells", () => {
    expect(bar({ limit: "5000", spent: "1750", held: "1000" })).toBe("█".repeat(8) + "▒".repeat(5) + "░".repeat(11));
    expect(bar({ limit: "100", spent: "100", held: "0" })).toBe("█".repeat(24));
    expect(bar({ limit: "0", spent: "0", held: "0" })).toBe("░".repeat(24));
    expect(bar({ limit: "340282366920938463463374607431768211455", spent: "1", held: "0" })).toBe("░".repeat(24));
  });

  it("draws a tree with box characters", () => {
    const s = (id: string, parent: string | null, depth: number): Session =>
      ({
        id,
        object: "session",
        tree: "tre_x",
        principal: "prn_x",
        parent,
        depth,
        label: null,
        status: "active",
        scopes: [],
        not_before: "2030-01-01T00:00:00Z",
        expires_at: "2030-01-01T02:00:00Z",
        max_depth: 3,
        limits: {},
        agent_jkt: "j",
        created_at: "2030-01-01T00:00:00Z",
        revoked_at: null,
        counters: {
          calls: null,
          rate: null,
          rate_limited: 0,
          budgets: [{ asset: "USD", period: null, limit: "100", spent: "50", held: "0", remaining: "50", window_start: null, resets_at: null }],
        },
        tripped: [],
      }) as Session;
    const text = renderTree(
      { session: s("ses_a", null, 0), descendants: [s("ses_b", "ses_a", 1), s("ses_c", "ses_b", 2), s("ses_d", "ses_a", 1)] },
      Date.parse("2030-01-01T00:00:00Z"),
    );
    const half = "█".repeat(12) + "░".repeat(12);
    expect(text.split("\n")).toEqual([
      "ses_a  active  expires in 2h",
      `│  USD/life     ${half}  spent $0.50 · held $0.00 · remaining $0.50 of $1.00`,
      "├─ ses_b  active  expires in 2h",
      `│  │  USD/life     ${half}  spent $0.50 · held $0.00 · remaining $0.50 of $1.00`,
      "│  └─ ses_c  active  expires in 2h",
      `│        USD/life     ${half}  spent $0.50 · held $0.00 · remaining $0.50 of $1.00`,
      "└─ ses_d  active  expires in 2h",
      `      USD/life     ${half}  spent $0.50 · held $0.00 · remaining $0.50 of $1.00`,
    ]);
  });
});

describe("SDK plumbing", () => {
  it("amounts are decimal strings of integer minor units", () => {
    expect(amountString(250)).toBe("250");
    expect(amountString(10n ** 30n)).toBe("1" + "0".repeat(30));
    expect(() => amountString(1.5)).toThrow(RangeError);
    expect(() => amountString("1.5")).toThrow(RangeError);
    expect(() => amountString(-1n)).toThrow(RangeError);
  });

  it("maps unknown and prototype-named problem types to the base class", () => {
    for (const name of ["constructor", "toString", "__proto__", "no-such-problem"]) {
      const e = errorFromProblem({ type: `https://h/problems/${name}`, title: "t", status: 400, detail: "d" });
      expect(e.constructor, name).toBe(RemitError);
      expect(e.code).toBe(name);
    }
  });

  it("reads problem names and Retry-After", () => {
    expect(problemName("https://remit.example/problems/budget-exceeded")).toBe("budget-exceeded");
    expect(parseRetryAfter("7")).toBe(7);
    expect(parseRetryAfter(new Date(Date.now() + 5_000).toUTCString())).toBeGreaterThanOrEqual(4);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });

  it("retries 5xx and 429 with one Idempotency-Key, never 4xx refusals", async () => {
    const seen: { key: string | null; n: number }[] = [];
    const answers = [
      new Response("oops", { status: 502 }),
      new Response(JSON.stringify({ type: "x/problems/rate-limited", title: "Too many requests", status: 429, detail: "" }), {
        status: 429,
        headers: { "retry-after": "0" },
      }),
      new Response(JSON.stringify({ ok: 1 }), { status: 200 }),
    ];
    const client = new HttpClient({
      baseUrl: "http://remit.test",
      retryBaseDelayMs: 1,
      fetch: async (_input, init) => {
        seen.push({ key: new Headers(init?.headers).get("idempotency-key"), n: seen.length });
        return answers.shift()!;
      },
    });
    expect(await client.request({ method: "POST", path: "/v1/x", body: {}, idempotent: true })).toEqual({ ok: 1 });
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.key)).size).toBe(1);

    let calls = 0;
    const refusing = new HttpClient({
      baseUrl: "http://remit.test",
      fetch: async () => {
        calls++;
        return new Response(JSON.stringify({ type: "x/problems/budget-exceeded", title: "t", status: 403, detail: "d", remaining: "5" }), { status: 403 });
      },
    });
    const err = await refusing.request({ method: "POST", path: "/v1/x", body: {}, idempotent: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect((err as BudgetExceededError).remaining).toBe("5");
    expect(calls).toBe(1);
  });

  it("gives up on a long Retry-After, and after maxRetries", async () => {
    const client = new HttpClient({
      baseUrl: "http://remit.test",
      maxRetryDelayMs: 1_000,
      fetch: async () =>
        new Response(JSON.stringify({ type: "x/problems/rate-limited", title: "t", status: 429, detail: "" }), { status: 429, headers: { "retry-after": "30" } }),
    });
    expect(await client.request({ method: "GET", path: "/v1/session" }).catch((e: unknown) => e)).toBeInstanceOf(RateLimitedError);

    let attempts = 0;
    const down = new HttpClient({
      baseUrl: "http://remit.test",
      maxRetries: 4,
      retryBaseDelayMs: 1,
      fetch: async () => {
        attempts++;
        throw new TypeError("fetch failed");
      },
    });
    const err = await down.request({ method: "GET", path: "/healthz" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemitNetworkError);
    expect(attempts).toBe(5);
  });
});

describe("SDK surface", () => {
  it("has a typed error class for every problem type the service can send", async () => {
    const { PROBLEMS } = await import("../../src/core/errors");
    const sdk = await import("@remit/sdk");
    for (const name of Object.keys(PROBLEMS)) {
      const Class = sdk.PROBLEM_CLASSES[name];
      expect(Class, name).toBeDefined();
      expect(Class!.code).toBe(name);
      const err = sdk.errorFromProblem({ type: `https://x/problems/${name}`, title: "t", status: 400, detail: "d" });
      expect(err).toBeInstanceOf(Class!);
      expect(err.code).toBe(name);
    }
    expect(Object.keys(sdk.PROBLEM_CLASSES).sort()).toEqual(Object.keys(PROBLEMS).sort());
  });

  it('takes amounts as { asset, value } or "12.50USD" alike, and refuses what it cannot read exactly', async () => {
    const { toAmount } = await import("@remit/sdk");
    expect(toAmount("12.50USD")).toEqual({ asset: "USD", value: "1250" });
    expect(toAmount({ asset: "USD", value: 1250 })).toEqual({ asset: "USD", value: "1250" });
    expect(toAmount("1.5USDC", { USDC: 6 })).toEqual({ asset: "USDC", value: "1500000" });
    expect(() => toAmount("12.505USD")).toThrow(RangeError);
    expect(() => toAmount({ asset: "USD", value: "12.50" })).toThrow(RangeError);
  });

  it('capture sends minor units for { asset, value }, "12.50USD" and the old bare value', async () => {
    const { RemitAgent, generateAgentKey } = await import("@remit/sdk");
    const bodies: unknown[] = [];
    const fetch = async (_url: string | URL | Request, init?: RequestInit) => {
      bodies.push(JSON.parse(String(init?.body)));
      return new Response(JSON.stringify({ hold: {}, receipt: {} }), { status: 200, headers: { "content-type": "application/json" } });
    };
    const token = `e30.${btoa(JSON.stringify({ sub: "ses_x" })).replace(/=+$/, "")}.sig`;
    const agent = new RemitAgent({ baseUrl: "http://remit.test", token, key: generateAgentKey(), fetch });
    await agent.capture("hld_1", { asset: "USD", value: "300" });
    await agent.capture("hld_1", "3.00USD");
    await agent.capture("hld_1", 300);
    await agent.capture("hld_1", "300");
    await agent.capture("hld_1");
    expect(bodies).toEqual([{ amount: "300" }, { amount: "300" }, { amount: "300" }, { amount: "300" }, {}]);
  });

  it("budgets may be written in major units", async () => {
    const { boundsBody } = await import("../../sdk/src/common");
    const body = boundsBody(
      { kty: "OKP", crv: "Ed25519", x: "x" },
      {
        scopes: ["a:b:c"],
        limits: {
          budgets: [
            { amount: "50.00USD", period: "day" },
            { asset: "EUR", amount: "900" },
          ],
        },
      },
    );
    expect(body.limits).toEqual({
      budgets: [
        { asset: "USD", amount: "5000", period: "day" },
        { asset: "EUR", amount: "900" },
      ],
    });
  });
});
