import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ASSET_PATTERN, MAX_AMOUNT, formatAmount, isAsset, parseAmount, type AmountRule } from "../../../src/core/policy";

function rule(text: unknown, positive = false): AmountRule | undefined {
  const r = parseAmount(text, { positive });
  return r.ok ? undefined : r.rule;
}

describe("amounts: happy path", () => {
  it("parses integer minor units into a bigint", () => {
    expect(parseAmount("1250")).toEqual({ ok: true, value: 1250n });
    expect(parseAmount("0")).toEqual({ ok: true, value: 0n });
  });

  it("parses the largest amount, 38 nines, exactly", () => {
    expect(parseAmount("9".repeat(38))).toEqual({ ok: true, value: MAX_AMOUNT });
    expect(MAX_AMOUNT).toBe(10n ** 38n - 1n);
  });

  it("accepts a positive amount when one is required", () => {
    expect(parseAmount("1", { positive: true })).toEqual({ ok: true, value: 1n });
  });

  it("formats amounts canonically", () => {
    expect(formatAmount(0n)).toBe("0");
    expect(formatAmount(MAX_AMOUNT)).toBe("9".repeat(38));
  });

  it("recognises asset codes", () => {
    for (const a of ["USD", "USDC", "GPU_SECONDS", "EU", "A1", "ABCDEFGHIJKLMNOP"]) expect(isAsset(a)).toBe(true);
    expect(ASSET_PATTERN.test("USD")).toBe(true);
  });
});

describe("amounts: refusals", () => {
  it.each<[string, unknown, AmountRule]>([
    ["a number", 12, "amount_type"],
    ["a bigint", 12n, "amount_type"],
    ["null", null, "amount_type"],
    ["an empty string", "", "amount_format"],
    ["a leading zero", "01", "amount_format"],
    ["a plus sign", "+1", "amount_format"],
    ["a minus sign", "-1", "amount_format"],
    ["a fraction", "1.5", "amount_format"],
    ["a trailing dot", "1.", "amount_format"],
    ["an exponent", "1e3", "amount_format"],
    ["hex", "0x10", "amount_format"],
    ["a space", " 1", "amount_format"],
    ["a trailing newline", "1\n", "amount_format"],
    ["a digit separator", "1_000", "amount_format"],
    ["Arabic-Indic digits", "١٢", "amount_format"],
    ["fullwidth digits", "１２", "amount_format"],
    ["39 digits", "1" + "0".repeat(38), "amount_digits"],
  ])("refuses %s", (_name, text, expected) => {
    expect(rule(text)).toBe(expected);
  });

  it("refuses 0 when a positive amount is required", () => {
    expect(rule("0", true)).toBe("amount_positive");
  });

  it("refuses to format a negative amount or one over 38 digits", () => {
    expect(() => formatAmount(-1n)).toThrow(RangeError);
    expect(() => formatAmount(MAX_AMOUNT + 1n)).toThrow(RangeError);
  });

  it("refuses asset codes that are lower case, too short, too long or not ASCII", () => {
    for (const a of ["usd", "U", "_USD", "1USD", "USD-C", "ABCDEFGHIJKLMNOPQ", "USD ", "UЅD", 42]) expect(isAsset(a)).toBe(false);
  });
});

describe("amounts: properties", () => {
  it("format and parse are inverse over the whole range", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_AMOUNT }), (v) => {
        expect(parseAmount(formatAmount(v))).toEqual({ ok: true, value: v });
      }),
    );
  });

  it("a string parses exactly when it is the canonical spelling of its value", () => {
    const text = fc.string({ unit: fc.constantFrom(..."0123456789+-.e _x"), maxLength: 42 });
    fc.assert(
      fc.property(text, (s) => {
        const r = parseAmount(s);
        const canonical = /^(0|[1-9][0-9]{0,37})$/.test(s);
        expect(r.ok).toBe(canonical);
        if (r.ok) expect(formatAmount(r.value)).toBe(s);
      }),
    );
  });
});
