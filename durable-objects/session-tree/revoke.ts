/**
 * Revocation of a session and everything under it, in one transaction: from its return
 * nothing under it succeeds, and each revoked session is announced. The rows are updated
 * in SQL (one statement over the subtree); only their ids come back to JS, and the answer
 * is their count. The events go to the outbox, which drains them in batches on the alarm.
 */
import { ok, type Outcome } from "../../src/core/errors";
import { cancelPendingApprovals } from "./approvals";
import { emitEvent } from "./event-outbox";
import { markRevoking } from "./lease-grants";
import { revokeSubtreeRows } from "./store";
import type { Tree } from "./tree";

export function revokeSubtree(tree: Tree, id: string, now: number): Outcome<{ revoked: number; session: string }> {
  const revoked = revokeRows(tree, id, id, now, () => true);
  return ok({ revoked: revoked.length, session: id });
}

/**
 * A revocation above a lease reaching the leased object (pushed by the parent, or learned
 * at a refill): the leased session and everything beneath it here, revoked by the ancestor
 * whose revocation it was. The parent announced the leased session itself; its
 * descendants here are announced here.
 */
export function revokeLeasedSubtree(tree: Tree, root: string, by: string, now: number): string[] {
  return revokeRows(tree, root, by, now, (session) => session !== root);
}

function revokeRows(tree: Tree, root: string, by: string, now: number, announce: (session: string) => boolean): string[] {
  const revoked = revokeSubtreeRows(tree.sql, root, by, now);
  const at = new Date(now).toISOString();
  for (const session of revoked)
    if (announce(session)) emitEvent(tree.sql, "session.revoked", tree.principal, { session, tree: tree.id, revoked_root: by, revoked_at: at }, now);
  // Their pending approvals end here, in the revocation's transaction: none can be approved afterwards.
  cancelPendingApprovals(tree, revoked, "session-revoked", now);
  // Children of theirs in objects of their own are granted nothing from here on, and told after the transaction (./lease-calls.ts).
  markRevoking(tree.sql, revoked);
  return revoked;
}
