/**
 * remit-mcp's own small parts, without a worker: its RFC 8785 canonicalizer (against the
 * RFC's examples), the call digest, amount_from, scope coverage and config validation.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { readAmount } from "../../mcp/src/amount";
import { parseConfig } from "../../mcp/src/config";
import { callDigest } from "../../mcp/src/digest";
import { canonicalize } from "../../mcp/src/jcs";
import { covers, toolScope } from "../../mcp/src/scopes";

/** An IEEE 754 double from its 16 hex digits (RFC 8785 Appendix B writes them so). */
const f64 = (hex: string) => new DataView(Uint8Array.from(hex.match(/../g)!.map((b) => Number.parseInt(b, 16))).buffer).getFloat64(0);

describe("happy: RFC 8785 canonical JSON", () => {
  it("writes the RFC's section 3.2.2 example exactly", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalize(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it("sorts members by UTF-16 code units (section 3.2.3)", () => {
    const input = JSON.parse(
      '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}',
    );
    // The RFC lists the values in this order (reading the text: a parsed object would put "1" first).
    const values = [...canonicalize(input).matchAll(/:"([^"]*)"/g)].map((m) => m[1]);
    expect(values).toEqual([
      "Carriage Return",
      "One",
      "Control",
      "Latin Small Letter O With Diaeresis",
      "Euro Sign",
      "Emoji: Grinning Face",
      "Hebrew Letter Dalet With Dagesh",
    ]);
  });

  it.each([
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ])("writes the double %s as %s (Appendix B)", (hex, text) => {
    expect(canonicalize(f64(hex))).toBe(text);
  });

  it("the call digest is SHA-256 hex of the canonical { tool, arguments }, whatever the member order", () => {
    const a = callDigest("buy", { order: { amount: "5", item: "tea" }, z: [1, 2] });
    const b = callDigest("buy", { z: [1, 2], order: { item: "tea", amount: "5" } });
    expect(a).toBe(b);
    expect(a).toBe(createHash("sha256").update('{"arguments":{"order":{"amount":"5","item":"tea"},"z":[1,2]},"tool":"buy"}').digest("hex"));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("errors: what has no canonical JSON", () => {
  it.each([[Number.NaN], [Number.POSITIVE_INFINITY], ["\ud800"], ["a\udc00b"], [new Date(0)], [10n]])("refuses %s", (value) => {
    expect(() => canonicalize({ v: value })).toThrow(TypeError);
  });
});

describe("happy: amount_from", () => {
  it("reads a dot path holding a string or a safe whole number", () => {
    expect(readAmount({ order: { amount: "250" } }, "order.amount")).toEqual({ ok: true, value: "250" });
    expect(readAmount({ amount: 0 }, "amount")).toEqual({ ok: true, value: "0" });
    expect(readAmount({ amount: Number.MAX_SAFE_INTEGER }, "amount")).toEqual({ ok: true, value: "9007199254740991" });
  });

  it("refuses what is missing or malformed, saying what to send", () => {
    expect(readAmount({}, "order.amount")).toMatchObject({ ok: false, message: expect.stringContaining('Send "order.amount"') });
    expect(readAmount({ order: "x" }, "order.amount")).toMatchObject({ ok: false });
    expect(readAmount({ amount: "1.5" }, "amount")).toMatchObject({ ok: false, message: expect.stringContaining("minor units") });
    expect(readAmount({ amount: -0 }, "amount")).toMatchObject({ ok: false });
  });
});

describe("security: scope coverage for tools/list", () => {
  it("covers by the grammar: exact, a prefix wildcard, a * action; never across servers or resources", () => {
    expect(covers("mcp:call:weather/*", toolScope("weather", "get_forecast"))).toBe(true);
    expect(covers("mcp:call:weather/get_forecast", toolScope("weather", "get_forecast"))).toBe(true);
    expect(covers("mcp:*:weather/*", toolScope("weather", "x"))).toBe(true);
    expect(covers("mcp:call:weather/get_*", toolScope("weather", "get_forecast"))).toBe(true);
    expect(covers("mcp:call:weather/get_forecast", toolScope("weather", "get_forecast_all"))).toBe(false);
    expect(covers("mcp:call:weather*", toolScope("weatherx", "t"))).toBe(true);
    expect(covers("mcp:call:weather/*", toolScope("weatherx", "t"))).toBe(false);
    expect(covers("http:call:weather/*", toolScope("weather", "t"))).toBe(false);
    expect(covers("mcp:call:payments/*", toolScope("weather", "t"))).toBe(false);
  });
});

describe("errors: config validation", () => {
  const base = { server: "weather", upstream: { command: "node", args: ["server.mjs"] } };

  it("takes a minimal config, with unlisted deny and a 60 s timeout by default", () => {
    expect(parseConfig(base)).toMatchObject({ server: "weather", tools: {}, unlisted: "deny", approval_wait: 0, timeout_ms: 60_000 });
    expect(parseConfig({ ...base, upstream: { url: "http://127.0.0.1:9000/mcp" } }).upstream).toEqual({ url: "http://127.0.0.1:9000/mcp" });
  });

  it("names the field and how to fix it", () => {
    expect(() => parseConfig({ server: "weather" })).toThrow(/upstream: give \{ "command": "node"/);
    expect(() => parseConfig({ ...base, upstream: { url: "ftp://x" } })).toThrow(/upstream.url: the upstream's Streamable HTTP endpoint/);
    expect(() => parseConfig({ ...base, upstream: { command: "" } })).toThrow(/upstream.command: the command that starts the upstream server/);
    expect(() => parseConfig({ ...base, tools: { t: { price: { asset: "USD", value: "5.00" } } } })).toThrow(
      /tools.t.price.value: a price is a decimal string of a positive integer/,
    );
    expect(() => parseConfig({ ...base, tools: { t: {} } })).toThrow(/tools.t: give exactly one of .* \(found none\)/);
    expect(() => parseConfig({ ...base, timeout_ms: "1s" })).toThrow(/timeout_ms: milliseconds an upstream tool call may take/);
    expect(() => parseConfig({ ...base, extra: 1 })).toThrow(/\(the file\): unknown field\(s\) "extra"/);
  });
});
