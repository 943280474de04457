/**
 * What a caller may read: a principal its own tree's sessions and receipts, an agent's
 * session the receipts on its path (its own and those below it). Anything else is
 * "not found", so ids of other principals' objects leak nothing.
 */
import type { ReceiptInOutbox } from "../../src/contract/settlement";
import { ok, problem, refused, type Outcome } from "../../src/core/errors";
import type { SignedReceipt } from "../../src/core/receipts/receipt";
import { outboxState } from "./receipt-outbox";
import { readReceipt, readReceipts } from "./receipts";
import { readSession, type SessionRow } from "./store";
import type { Tree } from "./tree";

export type ReceiptReader = { principal: string } | { session: string };

/** The session, if it is in this tree and the tree is the principal's. */
export function ownedSession(tree: Tree, principal: string, id: string): SessionRow | null {
  if (tree.principal !== principal) return null;
  return readSession(tree.sql, id);
}

export function readableReceipt(tree: Tree, caller: ReceiptReader, id: string): Outcome<SignedReceipt> {
  const found = readReceipt(tree.sql, id);
  const allowed = found && ("principal" in caller ? found.receipt.principal === caller.principal : found.receipt.path.includes(caller.session));
  if (!found || !allowed) return refused(problem("not-found", `no receipt ${id}`));
  return ok(found);
}

/** The receipt and whether its outbox entry reached the ledger, and which shard (the proof route). */
export function readableReceiptInOutbox(tree: Tree, caller: ReceiptReader, id: string): Outcome<ReceiptInOutbox> {
  const found = readableReceipt(tree, caller, id);
  return found.ok ? ok(outboxState(tree.sql, found.value)) : found;
}

/** A session's receipts, oldest first (by the tree's sequence), cursor-paginated. */
export function listSessionReceipts(
  tree: Tree,
  principal: string,
  sessionId: string,
  page: { limit: number; startingAfter?: string },
): Outcome<{ data: SignedReceipt[]; has_more: boolean }> {
  if (!ownedSession(tree, principal, sessionId)) return refused(problem("not-found", `no session ${sessionId}`));
  let afterSeq = 0;
  if (page.startingAfter) {
    const cursor = tree.sql.exec<{ seq: number }>("SELECT seq FROM receipts WHERE id = ? AND session_id = ?", page.startingAfter, sessionId).toArray()[0];
    if (!cursor)
      return refused(
        problem("validation-failed", `starting_after ${page.startingAfter} is not a receipt of this session`, {
          errors: [{ field: "starting_after", rule: "unknown_cursor", message: "must be a receipt id of this session" }],
        }),
      );
    afterSeq = cursor.seq;
  }
  const rows = readReceipts(tree.sql, "session_id = ? AND seq > ? ORDER BY seq LIMIT ?", sessionId, afterSeq, page.limit + 1);
  const data = rows.slice(0, page.limit);
  return ok({ data, has_more: rows.length > page.limit });
}
