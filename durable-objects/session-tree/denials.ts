/**
 * Refusals that leave a signed denial receipt: an agent that was refused for its
 * authority (scope, calls, budget, revocation, freeze) has a verifiable record of it,
 * as the principal does.
 */
import { problem, refused, type Outcome, type ProblemName } from "../../src/core/errors";
import type { DecisionContext } from "./decision-context";
import { receiptFor } from "./receipts";
import type { Tree } from "./tree";

/**
 * How long one denial receipt stands for a dead session's repeated refusals. A revoked
 * or frozen session that keeps calling is refused every time, but receipted once per
 * (session, reason) per window: the first refusal writes a receipt and opens the window,
 * every refusal of the same session for the same reason within the next 60 s names that
 * same receipt, and the first one after it writes the next. A dead agent in a loop so
 * writes at most one receipt a minute, whatever its rate.
 */
export const DEAD_DENIAL_WINDOW_MS = 60_000;

export function deny(
  tree: Tree,
  ctx: DecisionContext,
  name: ProblemName,
  detail: string,
  extra?: Record<string, unknown>,
  amount?: { asset: string; value: string },
): Outcome<never> {
  return refused(problem(name, detail, { ...extra, receipt: writeDenial(tree, ctx, name, extra, amount) }));
}

/** A denial of a session that cannot act (revoked, frozen): one receipt per DEAD_DENIAL_WINDOW_MS per (session, reason). */
export function denyOncePerWindow(tree: Tree, ctx: DecisionContext, name: ProblemName, detail: string, extra?: Record<string, unknown>): Outcome<never> {
  const mark = tree.sql
    .exec<{ receipt_id: string; at: number }>("SELECT receipt_id, at FROM denial_marks WHERE session_id = ? AND reason = ?", ctx.session.id, name)
    .toArray()[0];
  // A clock read earlier than the mark (a step back) is still inside its window.
  if (mark && ctx.now < mark.at + DEAD_DENIAL_WINDOW_MS) return refused(problem(name, detail, { ...extra, receipt: mark.receipt_id }));
  const receipt = writeDenial(tree, ctx, name, extra);
  tree.sql.exec(
    "INSERT INTO denial_marks (session_id, reason, receipt_id, at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET receipt_id = excluded.receipt_id, at = excluded.at",
    ctx.session.id,
    name,
    receipt,
    ctx.now,
  );
  return refused(problem(name, detail, { ...extra, receipt }));
}

function writeDenial(tree: Tree, ctx: DecisionContext, name: ProblemName, extra?: Record<string, unknown>, amount?: { asset: string; value: string }): string {
  return receiptFor(tree, ctx, {
    kind: "denial",
    scope: typeof extra?.scope === "string" ? extra.scope : null,
    asset: amount?.asset ?? null,
    amount: amount?.value ?? null,
    request_digest: null,
    reason: name,
    hold: null,
  }).receipt.id;
}
