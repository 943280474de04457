/** Parsing of the CLI's compact notations: budgets, rates, times. Pure; throws UsageError. */
import type { Budget, DecimalsTable, Period, RateLimit } from "@remit/sdk";
import { parseMoney } from "@remit/sdk";

/** Bad input on the command line: exit code 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const PERIODS: Record<string, Period | null> = {
  hour: "hour",
  hourly: "hour",
  h: "hour",
  day: "day",
  daily: "day",
  d: "day",
  week: "week",
  weekly: "week",
  w: "week",
  month: "month",
  monthly: "month",
  life: null,
  total: null,
};

/**
 * `ASSET:AMOUNT[/period]`, e.g. `USD:50.00/day`, `EUR:250` (for the session's life).
 * The amount is in major units of the asset (`USD:50.00` is $50.00, 5000 cents); with
 * `minor` it is integer minor units (`USD:5000/day`). More decimals than the asset has
 * are refused, never rounded.
 */
export function parseBudget(text: string, minor = false, table: DecimalsTable = {}): Budget {
  const m = /^([A-Za-z][A-Za-z0-9_]{1,15}):([0-9][0-9_,]*(?:\.[0-9]+)?)(?:\/([A-Za-z]+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`--budget "${text}": expected ASSET:AMOUNT[/period], e.g. USD:50.00/day`);
  let amount: string;
  if (minor) {
    amount = m[2]!.replace(/_/g, "");
    if (!/^(0|[1-9][0-9]*)$/.test(amount) || amount.length > 38) throw new UsageError(`--budget "${text}": with --minor the amount is a whole number of minor units`);
  } else {
    amount = moneyValue(`${m[2]}${m[1]}`, `--budget "${text}"`, table).value;
  }
  const periodText = m[3]?.toLowerCase();
  let period: Period | null = null;
  if (periodText !== undefined) {
    if (!Object.hasOwn(PERIODS, periodText)) throw new UsageError(`--budget "${text}": the period must be hour, day, week or month`);
    period = PERIODS[periodText]!;
  }
  return { asset: m[1]!.toUpperCase(), amount, ...(period ? { period } : {}) };
}

/** `12.50USD` (major units) → `{ asset, value }` in minor units; UsageError naming `what` on bad input. */
export function moneyValue(text: string, what: string, table: DecimalsTable = {}): { asset: string; value: string } {
  try {
    const m = parseMoney(text, table);
    return { asset: m.asset, value: m.value.toString() };
  } catch (err) {
    throw new UsageError(`${what}: ${err instanceof Error ? err.message.replace(/^"[^"]*": /, "") : String(err)}`);
  }
}

/**
 * `--amount`: `12.50USD` in major units, or with `minor` integer minor units and the
 * asset (`1250USD`, or `1250` when `asset` is known from elsewhere).
 */
export function parseAmountFlag(text: string, minor: boolean, table: DecimalsTable = {}): { asset: string; value: string } {
  if (!minor) return moneyValue(text, `--amount "${text}"`, table);
  const m = /^([0-9]+)\s*([A-Za-z][A-Za-z0-9_]{1,15})$/.exec(text.trim());
  if (!m || !/^(0|[1-9][0-9]*)$/.test(m[1]!)) throw new UsageError(`--amount "${text}": with --minor, integer minor units and the asset, e.g. 1250USD`);
  return { asset: m[2]!.toUpperCase(), value: m[1]! };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600, d: 86_400, w: 604_800 };

/** `N/s`, `N/m`, `N/h`, `N/d`, or `N/<k><unit>` such as `5/30s` or `100/15m`. */
export function parseRate(text: string): RateLimit {
  const m = /^(\d+)\s*\/\s*(\d+)?\s*(s|sec|m|min|h|d|w)$/.exec(text.trim());
  if (!m) throw new UsageError(`--rate "${text}": expected N/s, N/m, N/h or N/<seconds>s, e.g. 10/s or 5/30s`);
  const requests = Number(m[1]);
  const per = (m[2] === undefined ? 1 : Number(m[2])) * UNIT_SECONDS[m[3]!]!;
  if (!Number.isSafeInteger(requests) || requests < 1) throw new UsageError(`--rate "${text}": at least one request`);
  if (!Number.isSafeInteger(per) || per < 1) throw new UsageError(`--rate "${text}": the window must be at least one second`);
  return { requests, per_seconds: per };
}

/** `90s`, `30m`, `2h`, `1d`, `1w` → seconds. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)\s*(s|m|h|d|w)$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_SECONDS[m[2]!]!;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A relative duration from now (`30m`, `2h`, `1d`) or an RFC 3339 date-time. */
export function parseWhen(text: string, flag: string, now = Date.now()): Date {
  const seconds = parseDuration(text);
  if (seconds !== null) {
    if (seconds <= 0) throw new UsageError(`${flag} "${text}": must be in the future`);
    return new Date(now + seconds * 1000);
  }
  if (RFC3339.test(text.trim())) {
    const at = Date.parse(text.trim().replace(" ", "T"));
    if (!Number.isNaN(at)) return new Date(at);
  }
  throw new UsageError(`${flag} "${text}": expected a duration (30m, 2h, 1d) or an RFC 3339 date-time (2030-01-02T03:04:05Z)`);
}

export function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag} "${text}": expected a whole number`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag} "${text}": too large`);
  return n;
}

/** Humane relative time: `in 1h 59m`, `3m ago`. */
export function relative(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  const s = Math.round(abs / 1000);
  const parts: string[] = [];
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m && !d) parts.push(`${m}m`);
  if (parts.length === 0) parts.push(`${s % 60}s`);
  const span = parts.slice(0, 2).join(" ");
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}
