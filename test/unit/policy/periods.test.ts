import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PERIODS, isPeriod, windowEnd, windowStart, type Period } from "../../../src/core/policy";

const at = (iso: string): number => Date.parse(iso);

describe("periods: happy path", () => {
  it("lists the four periods", () => {
    expect(PERIODS).toEqual(["hour", "day", "week", "month"]);
    expect(isPeriod("day")).toBe(true);
  });

  it.each<[Period, string, string, string]>([
    // period, now, expected start, expected end
    ["hour", "2024-03-10T05:00:00.000Z", "2024-03-10T05:00:00.000Z", "2024-03-10T06:00:00.000Z"],
    ["hour", "2024-03-10T04:59:59.999Z", "2024-03-10T04:00:00.000Z", "2024-03-10T05:00:00.000Z"],
    ["hour", "2023-12-31T23:30:00.000Z", "2023-12-31T23:00:00.000Z", "2024-01-01T00:00:00.000Z"],
    ["day", "2024-02-29T00:00:00.000Z", "2024-02-29T00:00:00.000Z", "2024-03-01T00:00:00.000Z"],
    ["day", "2024-02-28T23:59:59.999Z", "2024-02-28T00:00:00.000Z", "2024-02-29T00:00:00.000Z"],
    ["day", "2023-02-28T12:00:00.000Z", "2023-02-28T00:00:00.000Z", "2023-03-01T00:00:00.000Z"],
    ["day", "2023-12-31T23:59:59.999Z", "2023-12-31T00:00:00.000Z", "2024-01-01T00:00:00.000Z"],
    // 2024-01-01 is a Monday.
    ["week", "2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00.000Z", "2024-01-08T00:00:00.000Z"],
    ["week", "2023-12-31T23:59:59.999Z", "2023-12-25T00:00:00.000Z", "2024-01-01T00:00:00.000Z"],
    ["week", "2024-03-01T10:00:00.000Z", "2024-02-26T00:00:00.000Z", "2024-03-04T00:00:00.000Z"],
    ["week", "2021-01-01T00:00:00.000Z", "2020-12-28T00:00:00.000Z", "2021-01-04T00:00:00.000Z"],
    ["week", "2024-01-07T23:59:59.999Z", "2024-01-01T00:00:00.000Z", "2024-01-08T00:00:00.000Z"],
    ["month", "2024-01-31T23:59:59.999Z", "2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z"],
    ["month", "2024-02-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"],
    ["month", "2024-02-29T23:59:59.999Z", "2024-02-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"],
    ["month", "2023-02-15T00:00:00.000Z", "2023-02-01T00:00:00.000Z", "2023-03-01T00:00:00.000Z"],
    ["month", "2100-02-28T23:59:59.999Z", "2100-02-01T00:00:00.000Z", "2100-03-01T00:00:00.000Z"],
    ["month", "2000-02-29T00:00:00.000Z", "2000-02-01T00:00:00.000Z", "2000-03-01T00:00:00.000Z"],
    ["month", "2023-12-31T23:59:59.999Z", "2023-12-01T00:00:00.000Z", "2024-01-01T00:00:00.000Z"],
    ["month", "2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z"],
  ])("%s window of %s starts %s and ends %s", (period, now, start, end) => {
    expect(new Date(windowStart(period, at(now))).toISOString()).toBe(start);
    expect(new Date(windowEnd(period, windowStart(period, at(now)))).toISOString()).toBe(end);
  });

  it("windowEnd accepts any time inside the window, not only its start", () => {
    expect(windowEnd("month", at("2024-01-31T12:00:00Z"))).toBe(at("2024-02-01T00:00:00Z"));
  });

  it("handles times before 1970 (1970-01-01 was a Thursday)", () => {
    expect(windowStart("week", 0)).toBe(at("1969-12-29T00:00:00Z"));
    expect(windowStart("day", -1)).toBe(at("1969-12-31T00:00:00Z"));
    expect(windowStart("month", -1)).toBe(at("1969-12-01T00:00:00Z"));
  });
});

describe("periods: refusals", () => {
  it("refuses times that are not finite or not representable as a Date", () => {
    for (const t of [NaN, Infinity, -Infinity, 8.64e15 + 1]) expect(() => windowStart("day", t)).toThrow(RangeError);
  });

  it("refuses an unknown period", () => {
    expect(() => windowStart("year" as Period, 0)).toThrow(RangeError);
    expect(isPeriod("year")).toBe(false);
    expect(isPeriod(undefined)).toBe(false);
  });
});

describe("periods: properties", () => {
  const time = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2200, 0, 1) });
  const period = fc.constantFrom(...PERIODS);

  it("a time lies in [start, end), and both edges are exact", () => {
    fc.assert(
      fc.property(period, time, (p, t) => {
        const start = windowStart(p, t);
        const end = windowEnd(p, start);
        expect(start).toBeLessThanOrEqual(t);
        expect(t).toBeLessThan(end);
        expect(windowStart(p, start)).toBe(start);
        expect(windowStart(p, end - 1)).toBe(start);
        expect(windowStart(p, end)).toBe(end);
      }),
    );
  });

  it("windows start at the calendar boundary they are named for", () => {
    fc.assert(
      fc.property(period, time, (p, t) => {
        const d = new Date(windowStart(p, t));
        const now = new Date(t);
        expect(d.getUTCMinutes() + d.getUTCSeconds() + d.getUTCMilliseconds()).toBe(0);
        if (p === "hour") expect(t - d.getTime()).toBeLessThan(3_600_000);
        if (p !== "hour") expect(d.getUTCHours()).toBe(0);
        if (p === "day") expect(d.getUTCDate()).toBe(now.getUTCDate());
        if (p === "week") expect(d.getUTCDay()).toBe(1);
        if (p === "week") expect(t - d.getTime()).toBeLessThan(7 * 86_400_000);
        if (p === "month") expect([d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()]).toEqual([now.getUTCFullYear(), now.getUTCMonth(), 1]);
      }),
    );
  });
});
