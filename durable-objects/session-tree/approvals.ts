/**
 * Approvals: an action over a session's approval line waits for people, its amount
 * reserved up the chain exactly like a hold (invariant 1 counts it) from the moment it
 * is asked for. It ends exactly once (invariant 9): approved (the spend is committed in
 * the approving transaction: debit and receipt, or the hold opened), denied, expired by
 * the alarm, or canceled (by the agent, or by a revocation or freeze in their own
 * transaction). Only approval spends it; every other end releases it. A timeout is
 * never a yes: an approval past its `expires_at` is expired by whoever touches it first.
 */
import type { ApprovalStatus, ApprovalView } from "../../src/contract/wire/approvals";
import { ok, problem, refused, type Outcome } from "../../src/core/errors";
import { formatAmount } from "../../src/core/policy/amounts";
import type { ApprovalNeed } from "../../src/core/policy/approval";
import { capture as captureCounter, release, remaining, reserve, rollover } from "../../src/core/policy/budgets";
import type { ReceiptApproval, SignedReceipt } from "../../src/core/receipts/receipt";
import { newIdIn } from "../../src/core/tree-ids";
import { applyToCounters, chargedTo, countCall, holdWindows, settleHoldCounters, type HoldWindow } from "./counters";
import type { DecisionContext } from "./decision-context";
import { emitEvent } from "./event-outbox";
import { DRAIN_COALESCE_MS } from "./receipt-outbox";
import { readReceipt, writeReceipt, type ReceiptFields } from "./receipts";
import { readCounters, readSession, type SessionRow } from "./store";
import type { Tree } from "./tree";

export interface ApprovalRow {
  id: string;
  session_id: string;
  kind: "authorize" | "hold";
  scope: string;
  asset: string | null;
  amount: string | null;
  request_digest: string | null;
  hold_seconds: number | null;
  windows: string;
  status: ApprovalStatus;
  approvers_needed: number;
  expires_at: number;
  created_at: number;
  closed_at: number | null;
  note: string | null;
  reason: string | null;
  receipt_id: string | null;
  hold_id: string | null;
  [key: string]: SqlStorageValue;
}

export type CancelCause = "agent" | "session-revoked" | "principal-frozen" | "session-frozen";

/** What waits: an authorization (with its amount, if any) or a hold to be placed. */
export interface PendingAction {
  kind: "authorize" | "hold";
  scope: string;
  amount?: { asset: string; value: string };
  requestDigest?: string;
  holdSeconds?: number;
}

export function migrateApprovals(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS approvals (
      id TEXT PRIMARY KEY,
      session_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      scope TEXT NOT NULL,
      asset TEXT,
      amount TEXT,
      request_digest TEXT,
      hold_seconds INTEGER,
      windows TEXT NOT NULL,
      status TEXT NOT NULL,
      approvers_needed INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      closed_at INTEGER,
      note TEXT,
      reason TEXT,
      receipt_id TEXT,
      hold_id TEXT
    );
    CREATE INDEX IF NOT EXISTS approvals_pending ON approvals(status, expires_at);
    CREATE INDEX IF NOT EXISTS approvals_newest ON approvals(created_at, id);
    CREATE TABLE IF NOT EXISTS approval_votes (
      approval_id TEXT NOT NULL,
      key_id TEXT NOT NULL,
      at INTEGER NOT NULL,
      seq INTEGER NOT NULL,
      PRIMARY KEY (approval_id, key_id)
    );
  `);
}

// ---------------------------------------------------------------- asking

/** Counts the call, reserves the amount up the chain and records the approval, in the agent's decision. */
export function requestApproval(tree: Tree, ctx: DecisionContext, need: ApprovalNeed, action: PendingAction): Outcome<{ approval: ApprovalView }> {
  const { sql } = tree;
  countCall(sql, ctx.chain);
  let windows: HoldWindow[] = [];
  let amount: string | null = null;
  if (action.amount) {
    const value = BigInt(action.amount.value);
    amount = formatAmount(value);
    windows = holdWindows(applyToCounters(tree, ctx, action.amount.asset, (c) => reserve(c, value)));
  }
  // Never past the session's end (the session's end is within every ancestor's).
  const expiresAt = Math.min(ctx.now + need.expiresIn * 1000, ctx.session.expiresAt);
  const id = newIdIn("apr", tree.id);
  sql.exec(
    `INSERT INTO approvals (id, session_id, kind, scope, asset, amount, request_digest, hold_seconds, windows, status, approvers_needed, expires_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
    id,
    ctx.session.id,
    action.kind,
    action.scope,
    action.amount?.asset ?? null,
    amount,
    action.requestDigest ?? null,
    action.holdSeconds ?? null,
    JSON.stringify(windows),
    need.approvers,
    expiresAt,
    ctx.now,
  );
  const remainingAfter = action.amount
    ? readCounters(
        sql,
        ctx.chain.map((s) => s.id),
        action.amount.asset,
      ).map((c) => ({ session: c.session, asset: c.asset, period: c.period, remaining: formatAmount(remaining(rollover(c, ctx.now))) }))
    : [];
  emitEvent(
    sql,
    "approval.requested",
    tree.principal,
    {
      approval: id,
      session: ctx.session.id,
      tree: tree.id,
      label: ctx.session.label,
      path: ctx.session.path,
      kind: action.kind,
      scope: action.scope,
      asset: action.amount?.asset ?? null,
      amount,
      approvers_needed: need.approvers,
      expires_at: new Date(expiresAt).toISOString(),
      remaining: remainingAfter,
    },
    ctx.now,
  );
  tree.scheduleAlarmSoon(expiresAt);
  return ok({ approval: approvalView(tree, readApproval(sql, id)!) });
}

// ---------------------------------------------------------------- deciding (the principal's keys)

/**
 * One vote or one denial, in one transaction. An approval past its expiry is expired
 * here first, so a vote racing the alarm finds it closed: exactly one of them wins.
 */
export function decideApproval(
  tree: Tree,
  principal: string,
  id: string,
  decision: { verdict: "approve" | "deny"; keyId: string; text: string | null },
  now: number,
): Outcome<ApprovalView> {
  const row = ownApproval(tree, principal, id);
  if (!row) return refused(problem("not-found", `no approval ${id}`));
  const open = stillPending(tree, row, now);
  if (!open.ok) return open;
  if (decision.verdict === "deny") {
    close(tree, row, "denied", now, { decidedBy: [decision.keyId], text: decision.text });
    return ok(approvalView(tree, readApproval(tree.sql, id)!));
  }
  const seq = tree.sql.exec<{ n: number }>("SELECT count(*) AS n FROM approval_votes WHERE approval_id = ?", id).one().n;
  const fresh =
    tree.sql.exec("INSERT INTO approval_votes (approval_id, key_id, at, seq) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", id, decision.keyId, now, seq + 1).rowsWritten >
    0;
  if (!fresh) return refused(problem("approval-already-voted", `key ${decision.keyId} has already approved ${id}`, { approval: id, key: decision.keyId }));
  if (decision.text !== null) tree.sql.exec("UPDATE approvals SET note = coalesce(note || '\n', '') || ? WHERE id = ?", decision.text, id);
  if (seq + 1 >= row.approvers_needed) commitApproved(tree, readApproval(tree.sql, id)!, now);
  return ok(approvalView(tree, readApproval(tree.sql, id)!));
}

/** The agent withdraws its approval (the session that asked or an ancestor); allowed after revocation or freeze. */
export function cancelApproval(tree: Tree, ctx: DecisionContext, id: string): Outcome<ApprovalView> {
  const row = agentApproval(tree, ctx.session.id, id);
  if (!row) return refused(problem("not-found", `no approval ${id}`));
  const open = stillPending(tree, row, ctx.now);
  if (!open.ok) return open;
  close(tree, row, "canceled", ctx.now, { decidedBy: [], text: null, cause: "agent" });
  return ok(approvalView(tree, readApproval(tree.sql, id)!));
}

/** Cancels every pending approval of these sessions (all of the tree's when null), in the caller's revoke or freeze transaction. */
export function cancelPendingApprovals(tree: Tree, sessions: string[] | null, cause: CancelCause, now: number): number {
  const pending = tree.sql.exec<ApprovalRow>("SELECT * FROM approvals WHERE status = 'pending'").toArray();
  const wanted = sessions === null ? null : new Set(sessions);
  let n = 0;
  for (const row of pending) {
    if (wanted && !wanted.has(row.session_id)) continue;
    close(tree, row, "canceled", now, { decidedBy: [], text: null, cause });
    n++;
  }
  return n;
}

/** The alarm's part: approvals past their expiry are expired (never approved) and released. Idempotent. */
export function expireDueApprovals(tree: Tree, now: number): void {
  for (const row of tree.sql.exec<ApprovalRow>("SELECT * FROM approvals WHERE status = 'pending' AND expires_at <= ?", now).toArray())
    close(tree, row, "expired", now, { decidedBy: [], text: null });
}

export function approvalsDueAt(sql: SqlStorage): number | null {
  return sql.exec<{ t: number | null }>("SELECT min(expires_at) AS t FROM approvals WHERE status = 'pending'").one().t;
}

// ---------------------------------------------------------------- reading

/** The approval, if the principal owns this tree. */
export function ownApproval(tree: Tree, principal: string, id: string): ApprovalRow | null {
  if (tree.principal !== principal) return null;
  return readApproval(tree.sql, id);
}

/** The approval, if `session` asked for it or is an ancestor of the session that did. */
export function agentApproval(tree: Tree, session: string, id: string): ApprovalRow | null {
  const row = readApproval(tree.sql, id);
  if (!row) return null;
  const asker = readSession(tree.sql, row.session_id);
  return asker?.path.includes(session) ? row : null;
}

/** The principal's approvals in this tree, newest first, older than `before` when given. */
export function listApprovals(
  tree: Tree,
  principal: string,
  query: { status?: ApprovalStatus; before?: { createdAt: number; id: string }; limit: number },
): ApprovalView[] {
  if (tree.principal !== principal) return [];
  const where: string[] = [];
  const args: SqlStorageValue[] = [];
  if (query.status) {
    where.push("status = ?");
    args.push(query.status);
  }
  if (query.before) {
    where.push("(created_at < ? OR (created_at = ? AND id < ?))");
    args.push(query.before.createdAt, query.before.createdAt, query.before.id);
  }
  const sqlText = `SELECT * FROM approvals ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ?`;
  return tree.sql
    .exec<ApprovalRow>(sqlText, ...args, query.limit)
    .toArray()
    .map((r) => approvalView(tree, r));
}

export function readApproval(sql: SqlStorage, id: string): ApprovalRow | null {
  return sql.exec<ApprovalRow>("SELECT * FROM approvals WHERE id = ?", id).toArray()[0] ?? null;
}

export function approvalView(tree: Tree, row: ApprovalRow): ApprovalView {
  const session = readSession(tree.sql, row.session_id);
  const receipt: SignedReceipt | null = row.receipt_id ? readReceipt(tree.sql, row.receipt_id) : null;
  return {
    id: row.id,
    object: "approval",
    status: row.status,
    kind: row.kind,
    session: row.session_id,
    tree: tree.id,
    label: session?.label ?? null,
    path: session?.path ?? [row.session_id],
    scope: row.scope,
    asset: row.asset,
    amount: row.amount,
    request_digest: row.request_digest,
    approvers_needed: row.approvers_needed,
    approved_by: votesOf(tree.sql, row.id),
    expires_at: new Date(row.expires_at).toISOString(),
    created_at: new Date(row.created_at).toISOString(),
    decided_at: row.closed_at === null ? null : new Date(row.closed_at).toISOString(),
    note: row.status === "approved" ? row.note : null,
    reason: row.reason,
    receipt,
    hold: row.hold_id,
  };
}

// ---------------------------------------------------------------- internals

function votesOf(sql: SqlStorage, id: string): string[] {
  return sql
    .exec<{ key_id: string }>("SELECT key_id FROM approval_votes WHERE approval_id = ? ORDER BY seq", id)
    .toArray()
    .map((v) => v.key_id);
}

/** Pending and not yet due; a due one is expired on the spot (a timeout is never a yes). */
function stillPending(tree: Tree, row: ApprovalRow, now: number): Outcome<ApprovalRow> {
  if (row.status === "pending" && now >= row.expires_at) close(tree, row, "expired", now, { decidedBy: [], text: null });
  const status = row.status === "pending" && now >= row.expires_at ? "expired" : row.status;
  if (status !== "pending") return refused(problem("approval-closed", `approval ${row.id} is ${status}`, { approval: row.id, status }));
  return ok(row);
}

/** The quorum is reached: the spend is committed in this transaction (debit and receipt, or the hold opened). */
function commitApproved(tree: Tree, row: ApprovalRow, now: number): void {
  const { sql } = tree;
  const session = readSession(sql, row.session_id)!;
  const decidedBy = votesOf(sql, row.id);
  const windows = JSON.parse(row.windows) as HoldWindow[];
  if (row.kind === "hold") {
    // The reservation becomes the hold's, in the windows it was made in; nothing moves on the counters.
    const holdId = newIdIn("hld", tree.id);
    const expiresAt = Math.min(now + (row.hold_seconds ?? 15 * 60) * 1000, session.expiresAt);
    sql.exec(
      `INSERT INTO holds (id, session_id, scope, asset, amount, status, windows, expires_at, created_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)`,
      holdId,
      row.session_id,
      row.scope,
      row.asset,
      row.amount,
      row.windows,
      expiresAt,
      now,
    );
    sql.exec("UPDATE approvals SET status = 'approved', closed_at = ?, hold_id = ? WHERE id = ?", now, holdId, row.id);
    tree.scheduleAlarmSoon(expiresAt);
    emitEvent(
      sql,
      "approval.approved",
      tree.principal,
      { approval: row.id, session: row.session_id, tree: tree.id, decided_by: decidedBy, receipt: null, hold: holdId },
      now,
    );
    return;
  }
  if (row.amount !== null && row.asset !== null) {
    const held = BigInt(row.amount);
    settleHoldCounters(sql, { asset: row.asset, windows: row.windows }, (c) => captureCounter(c, held, held));
  }
  const receipt = receiptOf(tree, row, session, now, {
    kind: "authorize",
    reason: null,
    ...(row.amount !== null && row.asset !== null ? { charged_to: chargedTo(row.asset, windows) } : {}),
    approval: { id: row.id, decided_by: decidedBy, decided_at: new Date(now).toISOString(), note: row.note },
  });
  sql.exec("UPDATE approvals SET status = 'approved', closed_at = ?, receipt_id = ? WHERE id = ?", now, receipt.receipt.id, row.id);
  emitEvent(
    sql,
    "approval.approved",
    tree.principal,
    { approval: row.id, session: row.session_id, tree: tree.id, decided_by: decidedBy, receipt: receipt.receipt.id, hold: null },
    now,
  );
}

/** Every end but approval: the reservation goes back (in the windows it was made in), with a receipt and an event. */
function close(
  tree: Tree,
  row: ApprovalRow,
  status: "denied" | "expired" | "canceled",
  now: number,
  by: { decidedBy: string[]; text: string | null; cause?: CancelCause },
): void {
  const { sql } = tree;
  if (row.amount !== null && row.asset !== null) {
    const held = BigInt(row.amount);
    settleHoldCounters(sql, { asset: row.asset, windows: row.windows }, (c) => release(c, held));
  }
  const session = readSession(sql, row.session_id)!;
  const reason = status === "denied" ? "approval-denied" : status === "expired" ? "approval-expired" : "approval-canceled";
  const approval: ReceiptApproval = { id: row.id, decided_by: by.decidedBy, decided_at: new Date(now).toISOString(), note: by.text };
  const receipt = receiptOf(tree, row, session, now, { kind: status === "canceled" ? "void" : "denial", reason, approval });
  const stored = status === "denied" ? by.text : status === "canceled" ? (by.cause ?? "agent") : null;
  sql.exec("UPDATE approvals SET status = ?, closed_at = ?, receipt_id = ?, reason = ? WHERE id = ?", status, now, receipt.receipt.id, stored, row.id);
  const ref = { approval: row.id, session: row.session_id, tree: tree.id };
  const rcp = receipt.receipt.id;
  if (status === "denied") emitEvent(sql, "approval.denied", tree.principal, { ...ref, decided_by: by.decidedBy, reason: by.text, receipt: rcp }, now);
  else if (status === "expired") emitEvent(sql, "approval.expired", tree.principal, { ...ref, expired_at: new Date(row.expires_at).toISOString(), receipt: rcp }, now);
  else emitEvent(sql, "approval.canceled", tree.principal, { ...ref, cause: by.cause ?? "agent", receipt: rcp }, now);
}

function receiptOf(
  tree: Tree,
  row: ApprovalRow,
  session: SessionRow,
  now: number,
  fields: Pick<ReceiptFields, "kind" | "reason" | "charged_to"> & { approval: ReceiptApproval },
): SignedReceipt {
  const signed = writeReceipt(
    tree.sql,
    tree.key,
    { id: tree.id, principal: tree.principal },
    {
      session: session.id,
      path: session.path,
      scope: row.scope,
      asset: row.asset,
      amount: row.amount,
      request_digest: row.request_digest,
      hold: null,
      ...fields,
    },
    now,
  );
  tree.scheduleAlarmSoon(now + DRAIN_COALESCE_MS);
  return signed;
}
