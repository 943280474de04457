import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoundedCache } from "../../../src/core/bounded-cache";

describe("bounded cache: happy", () => {
  it("returns what was set, and the newest value of a key", () => {
    const c = new BoundedCache<number>(10, 1000);
    c.set("a", 1, 10);
    c.set("a", 2, 10);
    expect(c.get("a")).toBe(2);
    expect(c.size).toBe(1);
    expect(c.totalBytes).toBe(10);
  });
});

describe("bounded cache: security — attacker-sized entries cannot grow it", () => {
  it("never holds more entries or bytes than its bounds, whatever is set", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.integer({ min: 0, max: 6000 })), { maxLength: 200 }),
        (maxEntries, maxBytes, sets) => {
          const c = new BoundedCache<number>(maxEntries, maxBytes);
          for (const [key, bytes] of sets) {
            c.set(key, bytes, bytes);
            expect(c.size).toBeLessThanOrEqual(maxEntries);
            expect(c.totalBytes).toBeLessThanOrEqual(maxBytes);
          }
        },
      ),
    );
  });

  it("refuses to hold a single entry larger than the whole budget", () => {
    const c = new BoundedCache<string>(10, 100);
    c.set("huge", "x", 101);
    expect(c.get("huge")).toBeUndefined();
    expect(c.totalBytes).toBe(0);
  });

  it("evicts the oldest first", () => {
    const c = new BoundedCache<number>(2, 1000);
    c.set("a", 1, 1);
    c.set("b", 2, 1);
    c.set("c", 3, 1);
    expect(c.get("a")).toBeUndefined();
    expect([c.get("b"), c.get("c")]).toEqual([2, 3]);
  });
});
