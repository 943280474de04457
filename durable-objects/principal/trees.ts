/**
 * The principal's index of its session trees and the routing of calls to them. A
 * grant indexes the tree before the tree exists, so a freeze racing the grant still
 * reaches it. Every other session call goes to the tree's object only if the tree is
 * in the index, so a made-up or foreign id never reaches (nor creates) a tree object.
 */
import type { Env } from "../../src/contract/env";
import { treeStub } from "../../src/contract/stubs";
import { problem, refused, type Outcome, type Problem } from "../../src/core/errors";
import { newTreeId, treeKey } from "../../src/core/tree-ids";
import type { Grant, NewSession } from "../../src/contract/session-tree";
import type { TripwireSet } from "../../src/core/policy/tripwires";
import { principalRow, principalView } from "./profile";

/** The object of the tree that holds `anyIdInTree` (a session, receipt or tree id). */
export { treeStub };

/** The object of the tree holding `anyIdInTree` (its key is in the id), if the principal indexed that tree. */
export function indexedTree(sql: SqlStorage, env: Env, anyIdInTree: string) {
  const key = treeKey(anyIdInTree);
  // Tree ids are `tre_` + key + random: the primary key's range of the key finds it.
  const row = sql.exec<{ id: string }>("SELECT id FROM trees WHERE id > ? AND id < ? LIMIT 1", `tre_${key}`, `tre_${key}~`).toArray()[0];
  return row && treeKey(row.id) === key ? treeStub(env, row.id) : null;
}

/** Every tree the principal has granted. */
export function treeIds(sql: SqlStorage): { id: string }[] {
  return sql.exec<{ id: string }>("SELECT id FROM trees").toArray();
}

/** A root session in a new tree, within the principal's maximum lifetime, unless the principal is frozen. */
export async function grantSession(
  sql: SqlStorage,
  env: Env,
  /** `tripwires`: the principal's trip-wires, read in the same synchronous step as the tree is indexed (./tripwires.ts). */
  input: { session: NewSession; issuer: string; tripwires?: TripwireSet },
  /** Runs its function with no freeze or unfreeze under way (index.ts `oneFreezeAtATime`). */
  betweenFreezes: (fn: () => Promise<void>) => Promise<void>,
): Promise<Outcome<Grant>> {
  const p = principalView(sql)!;
  if (p.frozen) return refused(problem("principal-frozen", "the principal is frozen: no session can be granted"));
  const now = Date.now();
  const maxMs = p.max_session_seconds * 1000;
  if (input.session.expiresAt <= now || input.session.expiresAt <= input.session.notBefore)
    return refused(validation("expires_at", "after_start", "must be later than now and than not_before"));
  // A session never lives longer than from now, so this bounds its lifetime too.
  if (input.session.expiresAt > now + maxMs)
    return refused(validation("expires_at", "max_lifetime", `must be at most ${p.max_session_seconds} s from now (the principal's maximum session lifetime)`));
  // Index the tree before it exists, so a freeze that races this grant still reaches it.
  const tree = newTreeId();
  sql.exec("INSERT INTO trees (id, created_at, expires_at) VALUES (?, ?, ?)", tree, now, input.session.expiresAt);
  const stub = treeStub(env, tree);
  // The principal's trip-wires from the tree's first decision (a push since then is newer and wins).
  const created = await stub.createRoot({
    tree,
    principal: p.id,
    issuer: input.issuer,
    session: input.session,
    ...(input.tripwires ? { tripwires: input.tripwires } : {}),
  });
  if (created.ok) {
    sql.exec("UPDATE trees SET root = ? WHERE id = ?", created.value.session.id, tree);
    // A freeze since the tree was indexed may have reached it before createRoot; read the flag
    // between freezes, so an unfreeze's fan-out cannot be overtaken by this one.
    await betweenFreezes(async () => {
      if (principalRow(sql)!.frozen) await stub.setFrozen(true);
    });
  }
  return created;
}

function validation(field: string, rule: string, message: string): Problem {
  return problem("validation-failed", `${field}: ${message}`, { errors: [{ field, rule, message }] });
}

/**
 * A tree object placed by one of this principal's trees for a child delegated into an
 * object of its own: indexed like a tree, so its sessions route, list, freeze and take
 * trip-wires like any other. Idempotent (the parent retries until it is); only a tree
 * of this principal places objects under it.
 */
export function indexLeasedTree(sql: SqlStorage, input: { tree: string; root: string; parentTree: string; createdAt: number; expiresAt: number }): void {
  if (sql.exec("SELECT 1 FROM trees WHERE id = ?", input.parentTree).toArray().length === 0) return;
  sql.exec(
    "INSERT INTO trees (id, root, created_at, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
    input.tree,
    input.root,
    input.createdAt,
    input.expiresAt,
  );
}
