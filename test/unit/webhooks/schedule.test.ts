import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JITTER, MAX_ATTEMPTS, MAX_DELAY_SECONDS, nextDelaySeconds, RETRY_SCHEDULE, retryScale } from "../../../src/core/webhooks/schedule";

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const HOUR = 3600;

describe("retry schedule", () => {
  it("is 11 attempts, the first immediate, growing to 8 h", () => {
    expect(MAX_ATTEMPTS).toBe(11);
    expect(RETRY_SCHEDULE).toEqual([0, 5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800]);
    for (let i = 1; i < RETRY_SCHEDULE.length; i++) expect(RETRY_SCHEDULE[i]!).toBeGreaterThanOrEqual(RETRY_SCHEDULE[i - 1]!);
  });

  it("spans about a day nominally", () => {
    const total = sum(RETRY_SCHEDULE);
    expect(total).toBeGreaterThan(22 * HOUR);
    expect(total).toBeLessThanOrEqual(24 * HOUR);
  });

  it("makes the first attempt at once and gives up after the last", () => {
    expect(nextDelaySeconds(0, Math.random)).toBe(0);
    expect(nextDelaySeconds(MAX_ATTEMPTS, Math.random)).toBeNull();
    expect(nextDelaySeconds(MAX_ATTEMPTS + 5, Math.random)).toBeNull();
  });

  it("refuses nonsense attempt numbers", () => {
    expect(() => nextDelaySeconds(-1, Math.random)).toThrow(RangeError);
    expect(() => nextDelaySeconds(1.5, Math.random)).toThrow(RangeError);
    expect(() => nextDelaySeconds(Number.NaN, Math.random)).toThrow(RangeError);
  });

  it("hits the ends of the jitter window", () => {
    expect(nextDelaySeconds(6, () => 0)).toBe(3600 * (1 - JITTER));
    expect(nextDelaySeconds(6, () => 0.5)).toBe(3600);
    expect(nextDelaySeconds(6, () => 0.999999)).toBe(3600 * (1 + JITTER));
    expect(nextDelaySeconds(1, () => 0)).toBeGreaterThanOrEqual(1);
  });

  it("survives a broken random source", () => {
    expect(nextDelaySeconds(3, () => Number.NaN)).toBe(120);
    expect(nextDelaySeconds(3, () => -4)).toBe(90);
    expect(nextDelaySeconds(3, () => 7)).toBe(150);
  });

  it("keeps every delay within ±25 % of nominal, at least 1 s, within the queue's 12 h cap", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_ATTEMPTS - 1 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const d = nextDelaySeconds(attempt, () => r)!;
        const nominal = RETRY_SCHEDULE[attempt]!;
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(Math.max(1, Math.floor(nominal * (1 - JITTER))));
        expect(d).toBeLessThanOrEqual(Math.ceil(nominal * (1 + JITTER)));
        expect(d).toBeLessThanOrEqual(MAX_DELAY_SECONDS);
      }),
    );
  });

  it("spans between 17 and 30 hours whatever the random draws, and about a day on average", () => {
    const span = (random: () => number) => {
      let total = 0;
      for (let attempt = 0; ; attempt++) {
        const d = nextDelaySeconds(attempt, random);
        if (d === null) return total;
        total += d;
      }
    };
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 11, maxLength: 11 }), (draws) => {
        let i = 0;
        const total = span(() => draws[i++ % draws.length]!);
        expect(total).toBeGreaterThanOrEqual(17 * HOUR);
        expect(total).toBeLessThanOrEqual(30 * HOUR);
      }),
    );
    let seed = 42;
    const lcg = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const mean = sum(Array.from({ length: 500 }, () => span(lcg))) / 500;
    expect(Math.abs(mean - sum(RETRY_SCHEDULE))).toBeLessThan(HOUR);
  });

  it("shrinks by WEBHOOK_RETRY_SCALE for tests, in whole seconds that may be 0", () => {
    expect(retryScale(undefined)).toBe(1);
    expect(retryScale("")).toBe(1);
    expect(retryScale("0.0001")).toBe(0.0001);
    for (const bad of ["0", "-1", "2", "abc", "Infinity"]) expect(retryScale(bad), bad).toBe(1);
    const half = () => 0.5;
    expect(nextDelaySeconds(1, half, 0.0001)).toBe(0); // 5 s → 0.5 ms
    expect(nextDelaySeconds(9, half, 0.0001)).toBe(3); // 8 h → 2.88 s
    expect(nextDelaySeconds(6, half, 0.5)).toBe(1800);
    expect(nextDelaySeconds(MAX_ATTEMPTS, half, 0.0001)).toBeNull();
    // A scale outside (0, 1] is ignored rather than stretching the schedule.
    expect(nextDelaySeconds(6, half, 10)).toBe(3600);
    expect(nextDelaySeconds(1, () => 0, 1)).toBeGreaterThanOrEqual(1);
    let total = 0;
    for (let a = 0; a < MAX_ATTEMPTS; a++) total += nextDelaySeconds(a, () => 0.999, 0.0001)!;
    expect(total).toBeLessThanOrEqual(15);
  });
});
