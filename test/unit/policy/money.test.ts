import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { amountAdvice, amountExample, assetTable, decimalsOf, formatMoney, ISO_4217_EXPONENTS, parseAssetDecimals, parseMoney } from "../../../src/core/policy/money";
import { MAX_AMOUNT } from "../../../src/core/policy/amounts";

describe("formatMoney", () => {
  it("writes major units with the currency", () => {
    expect(formatMoney("USD", 1550n, 2)).toBe("$15.50");
    expect(formatMoney("USD", "5")).toBe("$0.05");
    expect(formatMoney("JPY", 1550n)).toBe("¥1,550");
    expect(formatMoney("EUR", 123456789n)).toBe("€1,234,567.89");
    expect(formatMoney("KWD", 1234n)).toBe("1.234 KWD");
    expect(formatMoney("USDC", 12_500_000n, 6)).toBe("12.500000 USDC");
    expect(formatMoney("GPU_SECONDS", 1550n)).toBe("1,550 GPU_SECONDS");
    expect(formatMoney("USD", 0n)).toBe("$0.00");
  });

  it("knows the ISO 4217 exponents", () => {
    expect(ISO_4217_EXPONENTS).toMatchObject({ USD: 2, EUR: 2, GBP: 2, JPY: 0, KWD: 3 });
    expect(decimalsOf("USDC")).toBeUndefined();
    expect(decimalsOf("USDC", { USDC: 6 })).toBe(6);
  });
});

describe("parseMoney", () => {
  it("reads what people type", () => {
    expect(parseMoney("12.50USD")).toEqual({ asset: "USD", value: 1250n });
    expect(parseMoney("12.5 usd")).toEqual({ asset: "USD", value: 1250n });
    expect(parseMoney("USD 12")).toEqual({ asset: "USD", value: 1200n });
    expect(parseMoney("$15.50")).toEqual({ asset: "USD", value: 1550n });
    expect(parseMoney("¥1,550")).toEqual({ asset: "JPY", value: 1550n });
    expect(parseMoney("12.5USDC", { USDC: 6 })).toEqual({ asset: "USDC", value: 12_500_000n });
    expect(parseMoney("90GPU_SECONDS")).toEqual({ asset: "GPU_SECONDS", value: 90n });
  });

  it.each([
    ["1.005USD", /only 2 decimals/],
    ["1.5JPY", /no decimals/],
    ["1.5USDC", /not known/],
    ["-1USD", /not an amount/],
    ["12.50", /not an amount/],
    ["1,00USD", /separator/],
    ["1e3 USD", /not an amount/],
  ])("refuses %s", (text, why) => expect(() => parseMoney(text)).toThrow(why));

  it("round-trips: formatMoney then parseMoney gives the same minor units", () => {
    const assets = fc.constantFrom(...Object.keys(ISO_4217_EXPONENTS), "USDC", "ETH");
    const table = { USDC: 6, ETH: 18 };
    fc.assert(
      fc.property(assets, fc.bigInt({ min: 0n, max: MAX_AMOUNT }), (asset, value) => {
        const text = formatMoney(asset, value, decimalsOf(asset, table));
        expect(parseMoney(text, table)).toEqual({ asset, value });
      }),
    );
  });
});

describe("ASSET_DECIMALS", () => {
  it("parses the configured table and refuses a bad entry", () => {
    expect(parseAssetDecimals("USDC:6, eth:18")).toEqual({ USDC: 6, ETH: 18 });
    expect(parseAssetDecimals(undefined)).toEqual({});
    expect(() => parseAssetDecimals("USDC=6")).toThrow(/USDC=6/);
    expect(() => parseAssetDecimals("X1:99")).toThrow(/at most/);
  });

  it("the served table has ISO 4217 and the configured assets, symbols where there are", () => {
    const t = assetTable({ USDC: 6 });
    expect(t).toContainEqual({ asset: "USD", decimals: 2, symbol: "$" });
    expect(t).toContainEqual({ asset: "USDC", decimals: 6 });
    expect(t.map((a) => a.asset)).toEqual([...t.map((a) => a.asset)].sort());
  });
});

describe("amountAdvice: how to write an amount the wire refused", () => {
  const table = { USDC: 6 };
  it.each<[string, unknown, string | undefined, string | undefined, string]>([
    ["a JSON number with a fraction, in USD", 12.5, "USD", "1250", 'send "1250" (a string of minor units) for 12.50 USD'],
    ["a fraction string, in USDC with 6 configured decimals", "12.50", "USDC", "12500000", 'send "12500000" (a string of minor units) for 12.500000 USDC'],
    ["a whole JSON number, both readings", 1250, "USD", "1250", 'send "1250" for 12.50 USD, or "125000" for 1250.00 USD'],
    ["a whole JSON number in a 0-decimal asset", 1250, "JPY", "1250", 'send "1250"'],
    ["a whole JSON number without an asset", 7, undefined, "7", 'send "7"'],
    ["leading zeros", "0250", "USD", "250", 'without leading zeros: send "250"'],
    ["a plus sign", "+5", "USD", "5", 'send "5"'],
    ["thousands separators", "1,250", "USD", "1250", 'send "1250"'],
  ])("%s", (_name, input, asset, suggestion, message) => {
    const a = amountAdvice(input, asset, table);
    expect(a.suggestion).toBe(suggestion);
    expect(a.message).toContain(message);
  });

  it.each<[string, unknown, string | undefined, RegExp]>([
    ["a fraction finer than the asset's decimals (it never rounds)", "12.505", "USD", /USD has 2 decimals, so 12.505 USD is not a whole number of minor units/],
    ["a fraction in an asset without known decimals", "1.5", "GPU_SECONDS", /GPU_SECONDS has no configured decimals/],
    ["a fraction without an asset", "12.50", undefined, /for 12.50 in an asset with 2 decimals send "1250".*GET \/v1\/assets/],
    ["a negative number", -5, "USD", /never negative/],
    ["a negative string", "-5", "USD", /never negative/],
    ["an unsafe integer", 2 ** 60, "USD", /lost digits/],
    ["an exponent", "1e3", "USD", /e\.g\. send "1250" for 12\.50 USD/],
  ])("gives no suggestion for %s", (_name, input, asset, message) => {
    const a = amountAdvice(input, asset, table);
    expect(a.suggestion).toBeUndefined();
    expect(a.message).toMatch(message);
  });

  it("works the example in the asset's own decimals", () => {
    expect(amountExample("USD")).toBe('"1250" for 12.50 USD');
    expect(amountExample("USDC", table)).toBe('"12500000" for 12.500000 USDC');
    expect(amountExample("JPY")).toBe('"1250" for 1250 JPY');
    expect(amountExample(undefined)).toBe('"1250" for 12.50 USD');
  });
});
