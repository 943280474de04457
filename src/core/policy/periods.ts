/**
 * Budget periods are UTC calendar windows, not rolling ones: "100 USD per day"
 * resets at 00:00 UTC, so a principal can read a statement and match it.
 * Weeks are ISO weeks (Monday 00:00 UTC). Time is always a parameter.
 */

export type Period = "hour" | "day" | "week" | "month";

export const PERIODS: readonly Period[] = ["hour", "day", "week", "month"];

export function isPeriod(x: unknown): x is Period {
  return typeof x === "string" && (PERIODS as readonly string[]).includes(x);
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** 1970-01-01 was a Thursday: day 0 is 3 days after a Monday. */
const EPOCH_WEEKDAY_FROM_MONDAY = 3;
/** The range of an ECMAScript Date. */
const MAX_TIME = 8.64e15;

function checkTime(ms: number): void {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_TIME) throw new RangeError(`not a time: ${ms}`);
}

function floorTo(ms: number, unit: number): number {
  return Math.floor(ms / unit) * unit;
}

/** The start (epoch ms) of the window of `period` that contains `nowMs`. */
export function windowStart(period: Period, nowMs: number): number {
  checkTime(nowMs);
  switch (period) {
    case "hour":
      return floorTo(nowMs, HOUR);
    case "day":
      return floorTo(nowMs, DAY);
    case "week": {
      const day = Math.floor(nowMs / DAY);
      const sinceMonday = (((day + EPOCH_WEEKDAY_FROM_MONDAY) % 7) + 7) % 7;
      return (day - sinceMonday) * DAY;
    }
    case "month": {
      // setUTC* rather than Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
      const d = new Date(floorTo(nowMs, DAY));
      d.setUTCDate(1);
      return d.getTime();
    }
    default:
      throw new RangeError(`unknown period: ${String(period)}`);
  }
}

/** The start of the window after the one containing `startMs` (its exclusive end). */
export function windowEnd(period: Period, startMs: number): number {
  const start = windowStart(period, startMs);
  switch (period) {
    case "hour":
      return start + HOUR;
    case "day":
      return start + DAY;
    case "week":
      return start + WEEK;
    case "month": {
      const d = new Date(start);
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      return d.getTime();
    }
    default:
      throw new RangeError(`unknown period: ${String(period)}`);
  }
}
