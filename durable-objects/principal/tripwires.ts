/**
 * The principal's trip-wires: the rules of record, a version that grows with every change,
 * and the push of the whole set to every tree of the index (durable-objects/session-tree/
 * tripwires.ts evaluates them inside each decision). A change returns once every tree has
 * it, or names the trees it has not reached (`pending_trees`); a newer push overtakes an
 * older one in a tree by version, and a new tree gets the set at createRoot (trees.ts).
 *
 * A `freeze_principal` trip is told to the principal by the tree's events outbox (the
 * `tripwire.tripped` event): `principalTripped` says whether a batch of events holds one
 * not seen before, and the object then freezes itself (index.ts).
 */
import type { Env } from "../../src/contract/env";
import type { DeletedTripwire, TripwireChange, TripwireReset, TripwireView } from "../../src/contract/wire-types";
import { ok, problem, refused, type Outcome } from "../../src/core/errors";
import { newId } from "../../src/core/ids";
import { MAX_TRIPWIRES, readRule, tripwireErrors, type TripwireFields, type TripwireRule, type TripwireSet } from "../../src/core/policy/tripwires";
import { treeIds, treeStub } from "./trees";

export function migrateTripwires(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS tripwires (id TEXT PRIMARY KEY, rule TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS tripwire_version (one INTEGER PRIMARY KEY CHECK (one = 1), version INTEGER NOT NULL);
    -- freeze_principal trips already acted on (event ids), so a redelivered event does not freeze again after an unfreeze.
    CREATE TABLE IF NOT EXISTS tripwire_notices (event_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
  `);
}

interface Row {
  id: string;
  rule: string;
  created_at: number;
  updated_at: number;
  [k: string]: SqlStorageValue;
}

const notFound = (id: string) => refused<never>(problem("not-found", `no trip-wire ${id}`));

function view(row: Row): TripwireView {
  const r = readRule(row.rule)!;
  return {
    id: row.id,
    object: "tripwire",
    metric: r.metric,
    asset: r.asset,
    scope: r.scope,
    window: r.window,
    threshold: r.threshold,
    per: r.per,
    action: r.action,
    mode: r.mode,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

function row(sql: SqlStorage, id: string): Row | null {
  return sql.exec<Row>("SELECT id, rule, created_at, updated_at FROM tripwires WHERE id = ?", id).toArray()[0] ?? null;
}

/** The principal's rules as of now, with the version they make. */
export function tripwireSet(sql: SqlStorage): TripwireSet {
  const rules = sql
    .exec<{ rule: string }>("SELECT rule FROM tripwires ORDER BY id")
    .toArray()
    .map((r) => JSON.parse(r.rule) as TripwireRule);
  const version = sql.exec<{ version: number }>("SELECT version FROM tripwire_version").toArray()[0]?.version ?? 0;
  return { rules, version };
}

function bump(sql: SqlStorage): void {
  sql.exec("INSERT INTO tripwire_version (one, version) VALUES (1, 1) ON CONFLICT(one) DO UPDATE SET version = version + 1");
}

function ruleOf(id: string, f: TripwireFields): TripwireRule {
  return {
    id,
    metric: f.metric,
    asset: f.asset ?? null,
    scope: f.scope ?? null,
    window: f.window,
    threshold: f.threshold,
    per: f.per,
    action: f.action,
    mode: f.mode,
  };
}

function invalid(f: TripwireFields): Outcome<never> | null {
  const errors = tripwireErrors(f);
  if (errors.length === 0) return null;
  return refused(problem("validation-failed", errors.map((e) => `${e.field}: ${e.message}`).join("; "), { errors }));
}

/** Sends the set as of now to every tree of the index; the trees that did not take it. */
async function push(sql: SqlStorage, env: Env): Promise<string[]> {
  const set = tripwireSet(sql);
  const trees = treeIds(sql);
  const results = await Promise.allSettled(trees.map((t) => treeStub(env, t.id).setTripwires(set)));
  const pending = trees.filter((_, i) => results[i]!.status === "rejected").map((t) => t.id);
  if (pending.length > 0) console.error(`tripwires: version ${set.version} has not reached ${pending.length} trees`, pending);
  return pending;
}

export async function createTripwire(sql: SqlStorage, env: Env, fields: TripwireFields): Promise<Outcome<TripwireChange>> {
  const bad = invalid(fields);
  if (bad) return bad;
  const count = sql.exec<{ n: number }>("SELECT count(*) AS n FROM tripwires").one().n;
  if (count >= MAX_TRIPWIRES)
    return refused(
      problem("cap-exceeded", `a principal has at most ${MAX_TRIPWIRES} trip-wires; delete one first`, { cap: "tripwires", limit: MAX_TRIPWIRES, current: count }),
    );
  const id = newId("trw");
  const now = Date.now();
  sql.exec("INSERT INTO tripwires (id, rule, created_at, updated_at) VALUES (?, ?, ?, ?)", id, JSON.stringify(ruleOf(id, fields)), now, now);
  bump(sql);
  const created = view(row(sql, id)!);
  return ok({ tripwire: created, pending_trees: await push(sql, env) });
}

export function listTripwires(sql: SqlStorage): Outcome<{ data: TripwireView[] }> {
  return ok({ data: sql.exec<Row>("SELECT id, rule, created_at, updated_at FROM tripwires ORDER BY created_at, id").toArray().map(view) });
}

export function getTripwire(sql: SqlStorage, id: string): Outcome<TripwireView> {
  const r = row(sql, id);
  return r ? ok(view(r)) : notFound(id);
}

export async function updateTripwire(sql: SqlStorage, env: Env, id: string, patch: Partial<TripwireFields>): Promise<Outcome<TripwireChange>> {
  const r = row(sql, id);
  if (!r) return notFound(id);
  const current = readRule(r.rule)!;
  const merged: TripwireFields = { ...current, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
  const bad = invalid(merged);
  if (bad) return bad;
  sql.exec("UPDATE tripwires SET rule = ?, updated_at = ? WHERE id = ?", JSON.stringify(ruleOf(id, merged)), Date.now(), id);
  bump(sql);
  const updated = view(row(sql, id)!);
  return ok({ tripwire: updated, pending_trees: await push(sql, env) });
}

/** Deletes the rule; what it froze acts again (its trips go with it). */
export async function deleteTripwire(sql: SqlStorage, env: Env, id: string): Promise<Outcome<DeletedTripwire>> {
  if (!row(sql, id)) return notFound(id);
  sql.exec("DELETE FROM tripwires WHERE id = ?", id);
  bump(sql);
  return ok({ id, object: "tripwire", deleted: true, pending_trees: await push(sql, env) });
}

/** Clears the rule's trips (and its window logs) in every tree: what it froze acts again. */
export async function resetTripwire(sql: SqlStorage, env: Env, id: string): Promise<Outcome<TripwireReset>> {
  if (!row(sql, id)) return notFound(id);
  const trees = treeIds(sql);
  const results = await Promise.allSettled(trees.map((t) => treeStub(env, t.id).resetTripwire(id)));
  let cleared = 0;
  const pending: string[] = [];
  results.forEach((res, i) => {
    if (res.status === "fulfilled") cleared += res.value.cleared;
    else pending.push(trees[i]!.id);
  });
  return ok({ id, object: "tripwire_reset", cleared, pending_trees: pending });
}

/** Whether these events (from a tree's outbox) hold a freeze_principal trip not acted on before; records the ones seen. */
export function principalTripped(sql: SqlStorage, events: unknown[]): boolean {
  let fresh = false;
  for (const e of events) {
    const ev = e as { id?: unknown; type?: unknown; data?: { action?: unknown } };
    if (ev.type !== "tripwire.tripped" || ev.data?.action !== "freeze_principal" || typeof ev.id !== "string") continue;
    if (sql.exec("INSERT INTO tripwire_notices (event_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING 1", ev.id, Date.now()).toArray().length > 0) fresh = true;
  }
  return fresh;
}
