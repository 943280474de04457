/**
 * Trip-wires: a principal's velocity rules over a trailing window, evaluated inside a
 * tree's decision. Pure: what a rule is, whether input makes one, whether a decision is
 * one the rule looks at, and whether it takes the window's total over the threshold.
 *
 * Metrics: `amount` sums the amounts of authorized actions in `asset`; `count` counts
 * authorized actions (in `asset` when one is given); `denials` counts refused decisions.
 * A rule trips on the decision that takes the trailing-window total strictly over
 * `threshold` (threshold 5: the sixth).
 */
import type { FieldError } from "../errors";
import { parseAmount } from "./amounts";
import { coveredByAny, parseScope } from "./scopes";

export const TRIPWIRE_METRICS = ["amount", "count", "denials"] as const;
export const TRIPWIRE_ACTIONS = ["deny", "freeze_session", "freeze_tree", "freeze_principal"] as const;
export const TRIPWIRE_MODES = ["enforce", "shadow"] as const;
export const TRIPWIRE_PERS = ["session", "tree"] as const;
export const MIN_WINDOW_SECONDS = 10;
export const MAX_WINDOW_SECONDS = 2_678_400; // 31 days
/** Rules per principal: each is checked on every decision of every tree. */
export const MAX_TRIPWIRES = 50;

export type TripwireMetric = (typeof TRIPWIRE_METRICS)[number];
export type TripwireAction = (typeof TRIPWIRE_ACTIONS)[number];
export type TripwireMode = (typeof TRIPWIRE_MODES)[number];
export type TripwirePer = (typeof TRIPWIRE_PERS)[number];

/** A rule as the principal stores it and pushes it to its trees. */
export interface TripwireRule {
  id: string;
  metric: TripwireMetric;
  asset: string | null;
  scope: string | null;
  /** Seconds. */
  window: number;
  /** Decimal string: minor units for `amount`, a count otherwise. */
  threshold: string;
  per: TripwirePer;
  action: TripwireAction;
  mode: TripwireMode;
}

export interface TripwireFields {
  metric: TripwireMetric;
  asset?: string | null | undefined;
  scope?: string | null | undefined;
  window: number;
  threshold: string;
  per: TripwirePer;
  action: TripwireAction;
  mode: TripwireMode;
}

const COUNT = /^[1-9][0-9]{0,15}$/;

/** The cross-field rules of a trip-wire (each field's own shape is the edge schema's): empty when it is one. */
export function tripwireErrors(f: TripwireFields): FieldError[] {
  const errors: FieldError[] = [];
  if (!(TRIPWIRE_METRICS as readonly string[]).includes(f.metric))
    errors.push({ field: "metric", rule: "enum", message: `must be one of ${TRIPWIRE_METRICS.join(", ")}` });
  if (!Number.isInteger(f.window) || f.window < MIN_WINDOW_SECONDS || f.window > MAX_WINDOW_SECONDS)
    errors.push({ field: "window", rule: "window_range", message: `must be whole seconds from ${MIN_WINDOW_SECONDS} to ${MAX_WINDOW_SECONDS}` });
  if (f.metric === "amount") {
    if (!f.asset) errors.push({ field: "asset", rule: "required_for_amount", message: "an amount trip-wire needs the asset it sums" });
    const parsed = parseAmount(f.threshold, { positive: true });
    if (!parsed.ok) errors.push({ field: "threshold", rule: parsed.rule, message: `${parsed.message} (a decimal string of minor units)` });
  } else {
    if (f.metric === "denials" && f.asset)
      errors.push({ field: "asset", rule: "asset_not_for_denials", message: "a denials trip-wire counts refusals of any asset: omit asset" });
    if (typeof f.threshold !== "string" || !COUNT.test(f.threshold))
      errors.push({ field: "threshold", rule: "positive_integer", message: 'must be a positive integer as a decimal string (e.g. "5")' });
  }
  if (f.scope) {
    const parsed = parseScope(f.scope);
    if (!parsed.ok) errors.push({ field: "scope", rule: parsed.error.rule, message: parsed.error.message });
  }
  if (f.per === "tree" && f.action === "freeze_session")
    errors.push({
      field: "action",
      rule: "freeze_session_per_tree",
      message: "freeze_session needs per: session (a tree-wide total has no one session to freeze); use freeze_tree",
    });
  return errors;
}

/** What a decision contributes, as far as trip-wires see it. */
export interface TripwireObservation {
  /** `action` for an authorized action (authorize, hold), `denial` for a refused decision. */
  kind: "action" | "denial";
  scope: string | null;
  asset: string | null;
  amount: bigint | null;
}

/** Whether the rule looks at this observation; the increment it adds when it does (null: not its concern). */
export function increment(rule: TripwireRule, o: TripwireObservation): bigint | null {
  if (rule.scope !== null && (o.scope === null || !coveredByAny([rule.scope], o.scope))) return null;
  switch (rule.metric) {
    case "denials":
      return o.kind === "denial" ? 1n : null;
    case "count":
      if (o.kind !== "action") return null;
      if (rule.asset !== null && o.asset !== rule.asset) return null;
      return 1n;
    case "amount":
      if (o.kind !== "action" || o.asset !== rule.asset || o.amount === null) return null;
      return o.amount;
    default:
      throw new TypeError(`unknown trip-wire metric ${String((rule as { metric: unknown }).metric)}`);
  }
}

/** Whether adding `inc` to the window's `total` takes it over the threshold. Throws on a threshold it cannot read. */
export function overThreshold(rule: TripwireRule, total: bigint, inc: bigint): boolean {
  if (!/^[0-9]+$/.test(rule.threshold)) throw new TypeError(`trip-wire ${rule.id}: threshold ${rule.threshold} is not a decimal integer`);
  return total + inc > BigInt(rule.threshold);
}

/** A stored rule, or null when it cannot be read (a rule that cannot be evaluated refuses: fail closed). */
export function readRule(json: string): TripwireRule | null {
  try {
    const r = JSON.parse(json) as TripwireRule;
    if (typeof r.id !== "string" || typeof r.window !== "number" || typeof r.threshold !== "string") return null;
    if (!(TRIPWIRE_METRICS as readonly string[]).includes(r.metric)) return null;
    if (!(TRIPWIRE_ACTIONS as readonly string[]).includes(r.action)) return null;
    if (!(TRIPWIRE_MODES as readonly string[]).includes(r.mode)) return null;
    if (!(TRIPWIRE_PERS as readonly string[]).includes(r.per)) return null;
    if (r.metric === "amount" && typeof r.asset !== "string") return null;
    return { ...r, asset: r.asset ?? null, scope: r.scope ?? null };
  } catch {
    return null;
  }
}

/** The principal's rules as of a version: what it pushes to each tree, and gives a new tree at createRoot. */
export interface TripwireSet {
  rules: TripwireRule[];
  version: number;
}
