/** Amount and time helpers shared by the SDK's clients: what an amount or a moment may be written as, and how it goes on the wire. */
import { decimalsOf, formatMoney, ISO_4217_EXPONENTS, parseAssetDecimals, parseMoney, type DecimalsTable } from "../../src/core/policy/money";
import type { Budget, Limits, Period, PublicJwk } from "./types";

export { decimalsOf, formatMoney, ISO_4217_EXPONENTS, parseAssetDecimals, parseMoney, type DecimalsTable };

/** An amount of integer minor units: a decimal string, a bigint or a safe integer. */
export type AmountValue = string | bigint | number;

/** An amount on the wire: an asset and integer minor units (`{ asset: "USD", value: "1250" }` is $12.50). */
export interface Amount {
  asset: string;
  value: AmountValue;
}

/**
 * An amount as the SDK takes it everywhere (authorize, hold, capture, budgets):
 * `{ asset: "USD", value: "1250" }` in minor units, or major units with the asset
 * as a person writes them, `"12.50USD"` (`"$12.50"`, `"12.500000 USDC"`). A string
 * is parsed with ISO 4217 exponents and the client's `assetDecimals`; more fraction
 * digits than the asset has are refused (a RangeError), never rounded.
 */
export type MoneyInput = Amount | string;

/** `{ asset, value }` in minor units for any `MoneyInput`. */
export function toAmount(input: MoneyInput, table: DecimalsTable = {}): { asset: string; value: string } {
  if (typeof input === "string") {
    const m = parseMoney(input, table);
    return { asset: m.asset, value: m.value.toString() };
  }
  if (typeof input !== "object" || input === null || typeof input.asset !== "string") throw new RangeError(`not an amount: ${String(input)}`);
  return { asset: input.asset, value: amountString(input.value) };
}

/**
 * A budget as the SDK takes it: the wire's `{ asset, amount }` in minor units, or
 * `{ amount: "50.00USD", period: "day" }` / `{ amount: { asset, value }, period }`.
 */
export type BudgetInput = Budget | { amount: MoneyInput; period?: Period };

/** Limits with budgets in any `BudgetInput` form. */
export type LimitsInput = Omit<Limits, "budgets"> & { budgets?: BudgetInput[] };

function budgetBody(b: BudgetInput, table: DecimalsTable): Budget {
  if ("asset" in b && typeof b.asset === "string" && typeof b.amount !== "object") {
    return { ...b, amount: amountString(b.amount as AmountValue) } as Budget;
  }
  const a = toAmount(b.amount as MoneyInput, table);
  return { asset: a.asset, amount: a.value, ...(b.period ? { period: b.period } : {}) } as Budget;
}

export function limitsBody(l: LimitsInput, table: DecimalsTable = {}): Limits {
  const { budgets, ...rest } = l;
  return { ...rest, ...(budgets ? { budgets: budgets.map((b) => budgetBody(b, table)) } : {}) } as Limits;
}

/** The decimal string the service takes. Refuses fractions, negatives and unsafe numbers before any request. */
export function amountString(value: AmountValue): string {
  if (typeof value === "bigint") {
    if (value < 0n) throw new RangeError(`amount ${value} is negative`);
    return value.toString();
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`amount ${value} is not a non-negative safe integer (use a string or bigint)`);
    return String(value);
  }
  if (!/^(0|[1-9][0-9]*)$/.test(value)) throw new RangeError(`amount "${value}" is not a decimal string of integer minor units`);
  return value;
}

/** A point in time: a Date, an RFC 3339 string, or milliseconds since the epoch. */
export type TimeInput = Date | string | number;

export function rfc3339(t: TimeInput): string {
  if (typeof t === "string") return t;
  const d = typeof t === "number" ? new Date(t) : t;
  if (Number.isNaN(d.getTime())) throw new RangeError("invalid date");
  return d.toISOString();
}

/** What bounds a session: scopes, window, limits, depth. */
export interface SessionBounds {
  scopes: string[];
  notBefore?: TimeInput;
  /** The end of the session. */
  expiresAt?: TimeInput;
  /** Alternatively, its life in seconds from now. */
  expiresIn?: number;
  /** Calls, rate and budgets; a budget's amount may be `"50.00USD"` (see `BudgetInput`). */
  limits?: LimitsInput;
  maxDepth?: number;
  label?: string;
}

export function boundsBody(agentJwk: PublicJwk, b: SessionBounds, table: DecimalsTable = {}): Record<string, unknown> {
  if (b.expiresAt !== undefined && b.expiresIn !== undefined) throw new TypeError("give expiresAt or expiresIn, not both");
  const expires = b.expiresAt !== undefined ? rfc3339(b.expiresAt) : b.expiresIn !== undefined ? rfc3339(Date.now() + b.expiresIn * 1000) : undefined;
  return {
    agent_jwk: { kty: agentJwk.kty, crv: agentJwk.crv, x: agentJwk.x },
    scopes: b.scopes,
    ...(b.notBefore !== undefined ? { not_before: rfc3339(b.notBefore) } : {}),
    ...(expires !== undefined ? { expires_at: expires } : {}),
    ...(b.limits !== undefined ? { limits: limitsBody(b.limits, table) } : {}),
    ...(b.maxDepth !== undefined ? { max_depth: b.maxDepth } : {}),
    ...(b.label !== undefined ? { label: b.label } : {}),
  };
}

export const enc = encodeURIComponent;
