/**
 * Invariant 2: a child never holds more than its parent — scopes ⊆, window ⊆,
 * each limit ≤, depth < max_depth. A delegation that would widen anything is
 * refused with every offending field named; it is never silently clamped,
 * because a clamped grant is not the grant the agent asked for.
 *
 * Absence of a limit means "unlimited", so a child may omit a limit only when
 * its parent has none.
 */
import { parseAmount } from "./amounts";
import { approvalWidenings, type ApprovalPolicy } from "./approval";
import { decimalsOf, formatMoney, type DecimalsTable } from "./money";
import { isPeriod, type Period } from "./periods";
import type { RateLimit } from "./rate";
import { coveredByAny } from "./scopes";

export interface BudgetLimit {
  asset: string;
  /** Decimal string of minor units (see amounts.ts). */
  amount: string;
  /** Absent: for the session's whole life. */
  period?: Period;
}

export interface Limits {
  calls?: number;
  rate?: RateLimit;
  budgets?: BudgetLimit[];
  /** Actions over this line wait for people (./approval.ts). */
  approval?: ApprovalPolicy;
}

export interface Bounds {
  scopes: string[];
  /** Epoch ms. */
  notBefore: number;
  /** Epoch ms. */
  expiresAt: number;
  limits: Limits;
  /** How many further levels may be delegated below this session. */
  maxDepth: number;
}

export type WideningRule =
  | "scope_not_covered"
  | "before_parent"
  | "after_parent"
  | "missing"
  | "exceeds_parent"
  | "asset_not_in_parent"
  | "invalid"
  | "amount_type"
  | "amount_format"
  | "amount_digits"
  | "amount_positive"
  | "below_parent"
  | "scope_not_kept";

export interface Widening {
  /** Path of the child field, e.g. `scopes.2`, `limits.rate`, `limits.budgets.0.asset`. */
  field: string;
  rule: WideningRule;
  message: string;
}

export type AttenuateResult = { ok: true } | { ok: false; kind: "depth-exceeded"; detail: string } | { ok: false; kind: "delegation-widens"; widens: Widening[] };

const label = (b: { asset: string; period?: Period | undefined }): string => `${b.asset} per ${b.period ?? "life"}`;
const key = (b: { asset: string; period?: Period | undefined }): string => `${b.asset}/${b.period ?? "life"}`;
const per = (b: { period?: Period | undefined }): string => (b.period ? `a ${b.period}` : "for life");
/** What a person reads: major units with the currency ($15.50); the exact minor units follow in the message. */
const shown = (asset: string, minor: bigint, decimals: DecimalsTable): string => formatMoney(asset, minor, decimalsOf(asset, decimals));

function isCount(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

function isRate(r: RateLimit): boolean {
  return Number.isSafeInteger(r.requests) && r.requests >= 1 && Number.isSafeInteger(r.per_seconds) && r.per_seconds >= 1;
}

/** A parent's bounds come from our own storage: if they are malformed, stop. */
function parentAmount(b: BudgetLimit): bigint {
  const parsed = parseAmount(b.amount);
  if (!parsed.ok) throw new RangeError(`parent budget ${label(b)} is malformed: ${parsed.message}`);
  return parsed.value;
}

function checkCalls(parent: Limits, child: Limits, out: Widening[]): void {
  const field = "limits.calls";
  if (child.calls !== undefined && !isCount(child.calls)) {
    out.push({ field, rule: "invalid", message: "calls must be a whole number ≥ 0" });
    return;
  }
  if (parent.calls === undefined) return;
  if (child.calls === undefined) {
    out.push({ field, rule: "missing", message: `the parent allows ${parent.calls} calls; the child must set calls` });
  } else if (child.calls > parent.calls) {
    out.push({ field, rule: "exceeds_parent", message: `${child.calls} calls exceeds the parent's ${parent.calls}` });
  }
}

function checkRate(parent: Limits, child: Limits, out: Widening[]): void {
  const p = parent.rate;
  const c = child.rate;
  if (c !== undefined && !isRate(c)) {
    out.push({ field: "limits.rate", rule: "invalid", message: "requests and per_seconds must be whole numbers ≥ 1" });
    return;
  }
  if (p === undefined) return;
  if (c === undefined) {
    out.push({ field: "limits.rate", rule: "missing", message: `the parent is limited to ${p.requests} per ${p.per_seconds} s; the child must set a rate` });
    return;
  }
  // Burst (requests) and sustained rate (requests/per_seconds) must both be ≤.
  // Cross-multiplied in bigint: no float rounding can let a wider rate through.
  const burst = c.requests > p.requests;
  const faster = BigInt(c.requests) * BigInt(p.per_seconds) > BigInt(p.requests) * BigInt(c.per_seconds);
  if (burst || faster) {
    const why = [burst ? "a larger burst" : "", faster ? "a faster rate" : ""].filter(Boolean).join(" and ");
    out.push({
      field: "limits.rate",
      rule: "exceeds_parent",
      message: `${c.requests} per ${c.per_seconds} s allows ${why} than the parent's ${p.requests} per ${p.per_seconds} s`,
    });
  }
}

function checkBudgets(parent: Limits, child: Limits, out: Widening[], decimals: DecimalsTable): void {
  const parentBudgets = parent.budgets ?? [];
  const childBudgets = child.budgets ?? [];
  const parentAssets = new Set(parentBudgets.map((b) => b.asset));
  // Child amounts by (asset, period); every entry for a key must fit, duplicates included.
  const childByKey = new Map<string, bigint[]>();
  childBudgets.forEach((b, i) => {
    if (b.period !== undefined && !isPeriod(b.period)) {
      out.push({ field: `limits.budgets.${i}.period`, rule: "invalid", message: "period is hour, day, week, month or absent" });
      return;
    }
    if (!parentAssets.has(b.asset)) {
      out.push({ field: `limits.budgets.${i}.asset`, rule: "asset_not_in_parent", message: `the parent has no budget in ${b.asset}` });
      return;
    }
    const amount = parseAmount(b.amount);
    if (!amount.ok) {
      out.push({ field: `limits.budgets.${i}.amount`, rule: amount.rule, message: amount.message });
      return;
    }
    const list = childByKey.get(key(b)) ?? [];
    list.push(amount.value);
    childByKey.set(key(b), list);
  });
  for (const p of parentBudgets) {
    const limit = parentAmount(p);
    const amounts = childByKey.get(key(p));
    if (amounts === undefined) {
      out.push({
        field: "limits.budgets",
        rule: "missing",
        message: `the parent's budget of ${shown(p.asset, limit, decimals)} ${per(p)} must be set (${label(p)}, "${p.amount}" in minor units)`,
      });
      continue;
    }
    const over = amounts.find((a) => a > limit);
    if (over !== undefined) {
      out.push({
        field: "limits.budgets",
        rule: "exceeds_parent",
        message: `${shown(p.asset, over, decimals)} ${per(p)} exceeds the parent's ${shown(p.asset, limit, decimals)} (${label(p)}: "${over}" > "${p.amount}" in minor units)`,
      });
    }
  }
}

/** `decimals`: the service's asset table (ASSET_DECIMALS), only for the words of a refusal. */
export function attenuate(parent: Bounds, child: Bounds, decimals: DecimalsTable = {}): AttenuateResult {
  if (!isCount(parent.maxDepth) || parent.maxDepth <= 0) {
    return { ok: false, kind: "depth-exceeded", detail: "the parent session may not delegate further (max_depth 0)" };
  }
  const widens: Widening[] = [];
  if (!isCount(child.maxDepth)) {
    widens.push({ field: "max_depth", rule: "invalid", message: "max_depth must be a whole number ≥ 0" });
  } else if (child.maxDepth >= parent.maxDepth) {
    widens.push({ field: "max_depth", rule: "exceeds_parent", message: `max_depth must be less than the parent's ${parent.maxDepth}` });
  }
  child.scopes.forEach((scope, i) => {
    if (!coveredByAny(parent.scopes, scope)) {
      widens.push({ field: `scopes.${i}`, rule: "scope_not_covered", message: `${JSON.stringify(scope)} is not covered by any parent scope` });
    }
  });
  if (!(child.notBefore >= parent.notBefore)) {
    widens.push({ field: "not_before", rule: "before_parent", message: "not_before is earlier than the parent's" });
  }
  if (!(child.expiresAt <= parent.expiresAt)) {
    widens.push({ field: "expires_at", rule: "after_parent", message: "expires_at is later than the parent's" });
  }
  checkCalls(parent.limits, child.limits, widens);
  checkRate(parent.limits, child.limits, widens);
  checkBudgets(parent.limits, child.limits, widens, decimals);
  widens.push(...approvalWidenings(parent.limits.approval, child.limits.approval));
  return widens.length === 0 ? { ok: true } : { ok: false, kind: "delegation-widens", widens };
}
