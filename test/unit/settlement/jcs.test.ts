import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalize } from "../../../src/core/receipts/jcs";

function fromIeee(hexBits: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hexBits}`));
  return view.getFloat64(0);
}

describe("RFC 8785 canonical JSON", () => {
  it("§3.2.2: the sample with numbers, strings and literals", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' + '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("§3.2.3: members sorted by UTF-16 code units", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it("§3.2.3: nested objects are sorted too, arrays keep their order", () => {
    expect(canonicalize({ b: [3, 1, { z: 1, a: 2 }], a: { d: null, c: "x" } })).toBe('{"a":{"c":"x","d":null},"b":[3,1,{"a":2,"z":1}]}');
  });

  // Appendix B: IEEE 754 bit patterns and their ES serialization.
  const numbers: Array<[string, string]> = [
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
  ];
  it.each(numbers)("Appendix B: %s → %s", (bits, expected) => {
    expect(canonicalize(fromIeee(bits))).toBe(expected);
  });

  it.each([["7fffffffffffffff"], ["7ff0000000000000"], ["fff0000000000000"]])("Appendix B: %s (NaN/Infinity) is refused", (bits) => {
    expect(() => canonicalize(fromIeee(bits))).toThrow(TypeError);
    expect(() => canonicalize({ a: [fromIeee(bits)] })).toThrow(TypeError);
  });

  it("drops undefined members like JSON.stringify; undefined array items become null", () => {
    expect(canonicalize({ a: 1, b: undefined, c: () => 1, d: Symbol("s") })).toBe('{"a":1}');
    expect(canonicalize([1, undefined, () => 1])).toBe("[1,null,null]");
    expect(() => canonicalize(undefined)).toThrow(TypeError);
  });

  it("honours toJSON (Date → ISO string)", () => {
    expect(canonicalize({ at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)) })).toBe('{"at":"2026-01-02T03:04:05.006Z"}');
  });

  it("boxed primitives serialize as their values", () => {
    expect(canonicalize([new Number(1.5), new String("x"), new Boolean(false)])).toBe('[1.5,"x",false]');
    expect(() => canonicalize(new Number(Number.NaN))).toThrow(TypeError);
  });

  it("refuses bigints, cycles and lone surrogates", () => {
    expect(() => canonicalize({ a: 1n })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalize(cyclic)).toThrow(/cyclic/);
    expect(() => canonicalize("\ud800")).toThrow(/surrogate/);
    expect(() => canonicalize({ "\udc00x": 1 })).toThrow(/surrogate/);
    expect(canonicalize("\ud83d\ude00")).toBe('"😀"');
  });

  it("a repeated (non-cyclic) reference is fine", () => {
    const shared = { x: 1 };
    expect(canonicalize({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it("property: parses back to the same value, and is a fixed point", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalize(value);
        expect(JSON.parse(text)).toStrictEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalize(JSON.parse(text))).toBe(text);
        expect(text).not.toMatch(/\n/);
      }),
      { numRuns: 300 },
    );
  });

  it("property: member order in the input does not matter", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalize(reversed)).toBe(canonicalize(obj));
      }),
      { numRuns: 200 },
    );
  });
});
