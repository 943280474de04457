import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { truncateUtf8, utf8Prefix } from "../../../src/core/webhooks/excerpt";

describe("excerpts", () => {
  it("keeps short text unchanged", () => {
    expect(truncateUtf8("hello")).toBe("hello");
    expect(truncateUtf8("")).toBe("");
  });

  it("never cuts a character in half", () => {
    expect(truncateUtf8("aé", 2)).toBe("a");
    expect(truncateUtf8("€€", 5)).toBe("€");
    expect(truncateUtf8("😀x", 3)).toBe("");
    expect(utf8Prefix(new TextEncoder().encode("ab😀"), 5)).toBe("ab");
  });

  it("is the longest prefix that fits", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 400 }), fc.integer({ min: 0, max: 1100 }), (text, max) => {
        const out = truncateUtf8(text, max);
        const bytes = new TextEncoder().encode(out).length;
        expect(bytes).toBeLessThanOrEqual(max);
        expect(text.startsWith(out)).toBe(true);
        if (out.length < text.length) {
          const next = String.fromCodePoint(text.codePointAt(out.length)!);
          expect(bytes + new TextEncoder().encode(next).length).toBeGreaterThan(max);
        }
      }),
    );
  });
});
