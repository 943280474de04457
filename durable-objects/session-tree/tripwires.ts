/**
 * The principal's trip-wires inside this tree: the rules (pushed by the principal, and
 * given at createRoot), the per-rule, per-subject log of what each rule counted over its
 * trailing window (pruned by window: exact, not bucketed), and the trips that froze a
 * scope. Everything here runs inside the decision's one transaction.
 *
 * - An authorized action (authorize, hold) is checked by `checkTripwires` before it is
 *   debited: the decision that takes a window's total over the threshold is refused with a
 *   signed denial receipt (reason `tripwire`, member `tripwire` = the rule), and a freeze
 *   action freezes its scope (the session and its subtree, the tree, or the principal).
 *   Its hits are logged only if the action goes through.
 * - A refused decision (any refusal that reached the decide step) is counted by
 *   `countRefusal` for `denials` rules.
 * - `shadow` rules refuse nothing: they emit `tripwire.shadow` with what would have happened.
 * - A rule that cannot be read or evaluated refuses (fail closed).
 *
 * Trips are a switch of their own, apart from the principal's freeze flag: they stay until
 * the rule is reset (or deleted). A `freeze_principal` trip also makes the tree refuse
 * everything until the principal has frozen itself (it learns from the `tripwire.tripped`
 * event in the outbox), and is handed over when the principal's freeze reaches the tree.
 */
import type { ProblemValue } from "../../src/core/errors";
import { problem, refused, type Outcome } from "../../src/core/errors";
import { decimalsOf, formatMoney } from "../../src/core/policy/money";
import { increment, overThreshold, readRule, type TripwireObservation, type TripwireRule } from "../../src/core/policy/tripwires";
import type { DecisionContext } from "./decision-context";
import { emitEvent } from "./event-outbox";
import { receiptFor } from "./receipts";
import { frozenInChain } from "./governance";
import { getMeta, setMeta, type SessionRow } from "./store";
import type { Tree } from "./tree";

export function migrateTripwires(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS tripwire_rules (id TEXT PRIMARY KEY, rule TEXT NOT NULL);
    -- What each rule counted, per subject (a session id or the tree id), pruned by the rule's window.
    CREATE TABLE IF NOT EXISTS tripwire_hits (rule_id TEXT NOT NULL, subject TEXT NOT NULL, at INTEGER NOT NULL, value TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS tripwire_hits_window ON tripwire_hits(rule_id, subject, at);
    -- Scopes frozen by a trip: subject is a session id (and its subtree), the tree id, or the principal id.
    CREATE TABLE IF NOT EXISTS tripwire_trips (
      rule_id TEXT NOT NULL,
      subject TEXT NOT NULL,
      action TEXT NOT NULL,
      at INTEGER NOT NULL,
      receipt_id TEXT NOT NULL,
      PRIMARY KEY (rule_id, subject)
    );
  `);
}

/**
 * The rules and the trips are read by every decision and written rarely (a push, a trip, a
 * reset): both are kept in memory per object storage, loaded on first use and dropped by
 * every writer below — and by a transaction that throws (`forgetTripwires`, ./tree-handle.ts).
 */
interface Copy {
  rules?: StoredRule[];
  trips?: TripRow[];
}
const copies = new WeakMap<SqlStorage, Copy>();

function copyOf(sql: SqlStorage): Copy {
  let c = copies.get(sql);
  if (!c) {
    c = {};
    copies.set(sql, c);
  }
  return c;
}

/** Drops the in-memory rules and trips (after a write to them, or a rolled-back transaction). */
export function forgetTripwires(sql: SqlStorage): void {
  copies.delete(sql);
}

/** One trip as the session view shows it. */
export interface TripView {
  rule: string;
  action: "freeze_session" | "freeze_tree" | "freeze_principal";
  /** The session whose subtree is frozen (freeze_session), else null. */
  session: string | null;
  at: string;
}

interface TripRow {
  rule_id: string;
  subject: string;
  action: TripView["action"];
  at: number;
  [k: string]: SqlStorageValue;
}

/**
 * Replaces the tree's rules with the principal's set at `version`; an older set (a push
 * overtaken by a newer one, or a createRoot racing a push) changes nothing. The log and
 * trips of rules no longer in the set are dropped.
 */
export function setTripwireRules(tree: Tree, rules: TripwireRule[], version: number): { version: number } {
  const { sql } = tree;
  const current = Number(getMeta(sql, "tripwires_version") ?? "0");
  if (version < current) return { version: current };
  forgetTripwires(sql);
  sql.exec("DELETE FROM tripwire_rules");
  for (const r of rules) sql.exec("INSERT INTO tripwire_rules (id, rule) VALUES (?, ?)", r.id, JSON.stringify(r));
  sql.exec("DELETE FROM tripwire_hits WHERE rule_id NOT IN (SELECT id FROM tripwire_rules)");
  sql.exec("DELETE FROM tripwire_trips WHERE rule_id NOT IN (SELECT id FROM tripwire_rules)");
  setMeta(sql, "tripwires_version", String(version));
  return { version };
}

/** Clears the rule's trips and its window log in this tree: what it froze acts again, and it counts afresh. */
export function resetTripwire(tree: Tree, ruleId: string): { cleared: number } {
  forgetTripwires(tree.sql);
  const cleared = tree.sql.exec("DELETE FROM tripwire_trips WHERE rule_id = ? RETURNING 1", ruleId).toArray().length;
  tree.sql.exec("DELETE FROM tripwire_hits WHERE rule_id = ?", ruleId);
  return { cleared };
}

/**
 * The principal unfroze this session by hand (`POST /v1/sessions/{id}/unfreeze`): the trips
 * that froze it — on the session, or on the tree when it is the root — end, and their rules
 * count afresh in this tree, so the next decision is not refused by the same window.
 */
export function clearTripsOn(tree: Tree, session: { id: string; parent: string | null }): number {
  const subjects = session.parent === null ? [session.id, tree.id] : [session.id];
  forgetTripwires(tree.sql);
  const marks = subjects.map(() => "?").join(", ");
  const rules = tree.sql
    .exec<{ rule_id: string }>(`DELETE FROM tripwire_trips WHERE subject IN (${marks}) AND action <> 'freeze_principal' RETURNING rule_id`, ...subjects)
    .toArray()
    .map((r) => r.rule_id);
  for (const rule of new Set(rules)) tree.sql.exec("DELETE FROM tripwire_hits WHERE rule_id = ?", rule);
  return rules.length;
}

/** The principal has frozen itself: its own switch now holds what the tree held for it. */
export function handOverPrincipalTrips(tree: Tree): void {
  forgetTripwires(tree.sql);
  tree.sql.exec("DELETE FROM tripwire_trips WHERE action = 'freeze_principal'");
}

/**
 * Whether a switch holds the session at the end of `chain` until someone acts: the principal's,
 * its own or an ancestor's (./governance.ts), or a trip-wire's freeze. The listing's status and
 * exposure ask this; the decision path asks `lifeless` (./liveness.ts), which also says which.
 */
export function heldBySwitch(tree: Tree, chain: readonly SessionRow[]): boolean {
  return tree.frozen || frozenInChain(tree, chain) !== null || tripsOf(tree, chain[chain.length - 1]!.path).length > 0;
}

/** The trips that stop a session with this path: its own or an ancestor's, the tree's, the principal's. */
export function tripsOf(tree: Tree, path: string[]): TripView[] {
  const copy = copyOf(tree.sql);
  copy.trips ??= tree.sql.exec<TripRow>("SELECT rule_id, subject, action, at FROM tripwire_trips ORDER BY at, rule_id, rowid").toArray();
  if (copy.trips.length === 0) return [];
  const subjects = new Set([...path, tree.id, tree.principal]);
  return copy.trips
    .filter((t) => subjects.has(t.subject))
    .map((t) => ({ rule: t.rule_id, action: t.action, session: t.action === "freeze_session" ? t.subject : null, at: new Date(t.at).toISOString() }));
}

interface StoredRule {
  id: string;
  rule: TripwireRule | null;
}

function readRules(tree: Tree): StoredRule[] {
  const copy = copyOf(tree.sql);
  copy.rules ??= tree.sql
    .exec<{ id: string; rule: string }>("SELECT id, rule FROM tripwire_rules ORDER BY id")
    .toArray()
    .map((r) => ({ id: r.id, rule: readRule(r.rule) }));
  return copy.rules;
}

interface Crossing {
  rule: TripwireRule;
  subject: string;
  total: bigint;
}

/**
 * For an action about to be authorized: refuses it if an enforced rule would go over its
 * threshold (tripping that rule), else logs its hits. Null when it may go ahead.
 */
export function checkTripwires(tree: Tree, ctx: DecisionContext, o: TripwireObservation): Outcome<never> | null {
  const evaluated = evaluate(tree, ctx, o, "action");
  if (!evaluated.ok) return unevaluable(tree, ctx, o, evaluated.rule, evaluated.error);
  const enforced = evaluated.crossings.filter((c) => c.rule.mode === "enforce");
  for (const c of evaluated.crossings.filter((c) => c.rule.mode === "shadow")) shadow(tree, ctx, o, c);
  if (enforced.length > 0) return tripAll(tree, ctx, o, enforced);
  for (const h of evaluated.hits) logHit(tree, h.rule, h.subject, ctx.now, h.inc);
  return null;
}

/**
 * For a decision that was refused: counts it for `denials` rules; an enforced rule that goes
 * over its threshold trips, and the refusal becomes the trip-wire's (naming the refusal it counted).
 */
export function countRefusal<T>(tree: Tree, ctx: DecisionContext, outcome: Outcome<T>): Outcome<T> {
  if (outcome.ok) return outcome;
  const scope = outcome.problem.extra?.scope;
  const o: TripwireObservation = { kind: "denial", scope: typeof scope === "string" ? scope : null, asset: null, amount: null };
  const evaluated = evaluate(tree, ctx, o, "denial");
  // The decision is refused already, so failing closed asks nothing more of it (and no second receipt).
  if (!evaluated.ok) {
    console.error(`tripwires: rule ${evaluated.rule} cannot be evaluated; the refusal stands`, evaluated.error);
    return outcome;
  }
  // The refusal happened whatever the rules say: it is counted in every case.
  for (const h of evaluated.hits) logHit(tree, h.rule, h.subject, ctx.now, h.inc);
  for (const c of evaluated.crossings.filter((c) => c.rule.mode === "shadow")) shadow(tree, ctx, o, c);
  const enforced = evaluated.crossings.filter((c) => c.rule.mode === "enforce");
  if (enforced.length === 0) return outcome;
  const counted: Record<string, ProblemValue> = { name: outcome.problem.name, detail: outcome.problem.detail };
  if (typeof outcome.problem.extra?.receipt === "string") counted.receipt = outcome.problem.extra.receipt;
  return tripAll(tree, ctx, o, enforced, { refusal: counted });
}

type Evaluation = { ok: true; crossings: Crossing[]; hits: { rule: TripwireRule; subject: string; inc: bigint }[] } | { ok: false; rule: string; error: unknown };

function evaluate(tree: Tree, ctx: DecisionContext, o: TripwireObservation, kind: "action" | "denial"): Evaluation {
  const crossings: Crossing[] = [];
  const hits: { rule: TripwireRule; subject: string; inc: bigint }[] = [];
  for (const stored of readRules(tree)) {
    const rule = stored.rule;
    try {
      if (!rule) throw new TypeError("the stored rule cannot be read");
      if ((rule.metric === "denials") !== (kind === "denial")) continue;
      const inc = increment(rule, o);
      if (inc === null) continue;
      const subject = rule.per === "tree" ? tree.id : ctx.session.id;
      const total = windowTotal(tree, rule, subject, ctx.now);
      // A denial is logged before it is compared (it happened); an action only if it goes through.
      if (overThreshold(rule, total, inc)) crossings.push({ rule, subject, total: total + inc });
      hits.push({ rule, subject, inc });
    } catch (e) {
      return { ok: false, rule: stored.id, error: e };
    }
  }
  return { ok: true, crossings, hits };
}

/** The rule's total for the subject over its trailing window; prunes what fell out of it. */
function windowTotal(tree: Tree, rule: TripwireRule, subject: string, now: number): bigint {
  const from = now - rule.window * 1000;
  tree.sql.exec("DELETE FROM tripwire_hits WHERE rule_id = ? AND subject = ? AND at <= ?", rule.id, subject, from);
  let total = 0n;
  for (const h of tree.sql.exec<{ value: string }>("SELECT value FROM tripwire_hits WHERE rule_id = ? AND subject = ? AND at > ?", rule.id, subject, from))
    total += BigInt(h.value);
  return total;
}

function logHit(tree: Tree, rule: TripwireRule, subject: string, now: number, inc: bigint): void {
  tree.sql.exec("INSERT INTO tripwire_hits (rule_id, subject, at, value) VALUES (?, ?, ?, ?)", rule.id, subject, now, inc.toString());
}

function denialReceipt(tree: Tree, ctx: DecisionContext, o: TripwireObservation, ruleId: string): string {
  return receiptFor(tree, ctx, {
    kind: "denial",
    scope: o.scope,
    asset: o.asset,
    amount: o.amount === null ? null : o.amount.toString(),
    request_digest: null,
    reason: "tripwire",
    hold: null,
    tripwire: ruleId,
  }).receipt.id;
}

function eventData(tree: Tree, ctx: DecisionContext, o: TripwireObservation, c: Crossing) {
  return {
    rule: c.rule.id,
    tree: tree.id,
    session: ctx.session.id,
    metric: c.rule.metric,
    per: c.rule.per,
    action: c.rule.action,
    scope: o.scope,
    asset: o.asset,
    window: c.rule.window,
    threshold: c.rule.threshold,
    total: c.total.toString(),
    at: new Date(ctx.now).toISOString(),
  };
}

function shadow(tree: Tree, ctx: DecisionContext, o: TripwireObservation, c: Crossing): void {
  emitEvent(tree.sql, "tripwire.shadow", tree.principal, eventData(tree, ctx, o, c), ctx.now);
}

const FROZEN: Record<string, string> = {
  freeze_session: "the session and its subtree are frozen",
  freeze_tree: "the whole tree is frozen",
  freeze_principal: "every session of the principal is frozen",
};

/** Trips every enforced rule that crossed: a receipt each, a freeze for the freeze actions, an event each; the refusal names the first. */
function tripAll(tree: Tree, ctx: DecisionContext, o: TripwireObservation, crossings: Crossing[], more: Record<string, ProblemValue> = {}): Outcome<never> {
  const trips = crossings.map((c) => {
    const receipt = denialReceipt(tree, ctx, o, c.rule.id);
    if (c.rule.action !== "deny") {
      const subject = c.rule.action === "freeze_session" ? ctx.session.id : c.rule.action === "freeze_tree" ? tree.id : tree.principal;
      forgetTripwires(tree.sql);
      tree.sql.exec(
        "INSERT INTO tripwire_trips (rule_id, subject, action, at, receipt_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        c.rule.id,
        subject,
        c.rule.action,
        ctx.now,
        receipt,
      );
    }
    emitEvent(tree.sql, "tripwire.tripped", tree.principal, { ...eventData(tree, ctx, o, c), receipt }, ctx.now);
    return { c, receipt };
  });
  const first = trips[0]!;
  const r = first.c.rule;
  const frozen = FROZEN[r.action];
  // An amount as a person reads it ($15.50); `threshold` and `total` keep the exact minor units.
  const shown = (v: bigint | string) => (r.metric === "amount" && r.asset ? formatMoney(r.asset, v, decimalsOf(r.asset, tree.decimals)) : String(v));
  return refused(
    problem(
      "tripwire",
      `trip-wire ${r.id} tripped: ${r.metric} per ${r.per} would reach ${shown(first.c.total)} in ${r.window} s, over its threshold of ${shown(r.threshold)}${frozen ? `; ${frozen} until the trip-wire is reset or the frozen session unfrozen` : ""}`,
      {
        rule: r.id,
        action: r.action,
        metric: r.metric,
        per: r.per,
        window: r.window,
        threshold: r.threshold,
        total: first.c.total.toString(),
        receipt: first.receipt,
        ...(o.scope ? { scope: o.scope } : {}),
        ...(trips.length > 1 ? { rules: trips.map((t) => t.c.rule.id) } : {}),
        ...more,
      },
    ),
  );
}

/** Fail closed: a rule that cannot be read or evaluated refuses the decision, with a receipt naming it. */
function unevaluable(tree: Tree, ctx: DecisionContext, o: TripwireObservation, ruleId: string, e: unknown): Outcome<never> {
  console.error(`tripwires: rule ${ruleId} cannot be evaluated; refusing`, e);
  const receipt = denialReceipt(tree, ctx, o, ruleId);
  return refused(problem("tripwire", `trip-wire ${ruleId} cannot be evaluated, so the decision is refused (fail closed)`, { rule: ruleId, action: "deny", receipt }));
}

/** An action as the trip-wires see it. */
export function tripwireObservation(scope: string, amount?: { asset: string; value: string }): TripwireObservation {
  return { kind: "action", scope, asset: amount?.asset ?? null, amount: amount ? BigInt(amount.value) : null };
}
