/**
 * Revocation of a session and everything under it, in one transaction: from its return
 * nothing under it succeeds, and each revoked session is announced.
 */
import { ok, type Outcome } from "../../src/core/errors";
import { cancelPendingApprovals } from "./approvals";
import { emitEvent } from "./event-outbox";
import { readSubtree } from "./store";
import type { Tree } from "./tree";

export function revokeSubtree(tree: Tree, id: string, now: number): Outcome<{ revoked: number; session: string }> {
  const targets = readSubtree(tree.sql, id).filter((s) => s.status === "active");
  for (const s of targets) {
    tree.sql.exec("UPDATE sessions SET status = 'revoked', revoked_at = ?, revoked_by = ? WHERE id = ?", now, id, s.id);
    emitEvent(tree.sql, "session.revoked", tree.principal, { session: s.id, tree: tree.id, revoked_root: id, revoked_at: new Date(now).toISOString() }, now);
  }
  // Their pending approvals end here, in the revocation's transaction: none can be approved afterwards.
  cancelPendingApprovals(
    tree,
    targets.map((s) => s.id),
    "session-revoked",
    now,
  );
  return ok({ revoked: targets.length, session: id });
}
