/**
 * Holds: a reservation of budget up the chain that is later captured (all or part),
 * voided, or expired by the alarm. Each transition gives the reservation back or turns
 * it into spending, in the window it was made in, and leaves a receipt.
 */
import type { HoldInput, HoldView } from "../../src/contract/session-tree";
import type { PendingApproval } from "../../src/contract/wire/approvals";
import { ok, problem, refused, type Outcome } from "../../src/core/errors";
import { approvalNeeded } from "../../src/core/policy/approval";
import { formatAmount } from "../../src/core/policy/amounts";
import { decimalsOf, formatMoney } from "../../src/core/policy/money";
import { capture as captureCounter, release, reserve } from "../../src/core/policy/budgets";
import type { SignedReceipt } from "../../src/core/receipts/receipt";
import { newIdIn } from "../../src/core/tree-ids";
import { requestApproval } from "./approvals";
import { checkAction } from "./checks";
import { applyToCounters, chargedTo, countCall, holdWindows, settleHoldCounters, type HoldWindow } from "./counters";
import type { DecisionContext } from "./decision-context";
import { emitEvent } from "./event-outbox";
import { receiptFor, writeReceipt } from "./receipts";
import { readSession } from "./store";
import type { Tree } from "./tree";
import { checkTripwires, tripwireObservation } from "./tripwires";

const DEFAULT_HOLD_SECONDS = 15 * 60;

export interface HoldRow {
  id: string;
  session_id: string;
  scope: string;
  asset: string;
  amount: string;
  captured: string | null;
  status: HoldView["status"];
  windows: string;
  expires_at: number;
  created_at: number;
  closed_at: number | null;
  request_digest: string | null;
  [key: string]: SqlStorageValue;
}

export interface SettledHold {
  hold: HoldView;
  receipt: SignedReceipt;
}

/** Reserves the amount on every counter up the chain; the hold lasts no longer than the session. */
export function placeHold(tree: Tree, ctx: DecisionContext, input: HoldInput): Outcome<HoldView | PendingApproval> {
  const requested = input.expiresInSeconds ?? DEFAULT_HOLD_SECONDS;
  const expiresAt = Math.min(ctx.now + requested * 1000, ctx.session.expiresAt);
  const denied = checkAction(tree, ctx, input.scope, input.amount);
  if (denied) return denied;
  const tripped = checkTripwires(tree, ctx, tripwireObservation(input.scope, input.amount));
  if (tripped) return tripped;
  // Over the line: reserved now, and the hold opens once approved (./approvals.ts).
  const need = approvalNeeded(ctx.chain, input.scope, { asset: input.amount.asset, value: BigInt(input.amount.value) });
  if (need) return requestApproval(tree, ctx, need, { kind: "hold", scope: input.scope, amount: input.amount, holdSeconds: requested });
  countCall(tree.sql, ctx.chain, { id: ctx.session.id, at: ctx.now });
  const value = BigInt(input.amount.value);
  const windows = holdWindows(applyToCounters(tree, ctx, input.amount.asset, (c) => reserve(c, value)));
  const id = newIdIn("hld", tree.id);
  tree.sql.exec(
    `INSERT INTO holds (id, session_id, scope, asset, amount, status, windows, expires_at, created_at, request_digest)
     VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)`,
    id,
    ctx.session.id,
    input.scope,
    input.amount.asset,
    formatAmount(value),
    JSON.stringify(windows),
    expiresAt,
    ctx.now,
    input.requestDigest ?? null,
  );
  tree.scheduleAlarmSoon(expiresAt);
  return ok(holdView(tree.sql, id)!);
}

/** Turns the hold (or part of it: the rest goes back) into spending. */
export function captureHold(tree: Tree, ctx: DecisionContext, holdId: string, amount?: string): Outcome<SettledHold> {
  const hold = openHold(tree.sql, ctx, holdId);
  if (!hold.ok) return hold;
  const held = BigInt(hold.value.amount);
  const take = amount === undefined ? held : BigInt(amount);
  const money = (v: bigint) => formatMoney(hold.value.asset, v, decimalsOf(hold.value.asset, tree.decimals));
  if (take > held)
    return refused(
      problem("validation-failed", `capturing ${money(take)} is more than the ${money(held)} held`, {
        errors: [{ field: "amount", rule: "exceeds_hold", message: `must be at most "${hold.value.amount}" (${money(held)}, in minor units)` }],
      }),
    );
  settleHoldCounters(tree.sql, hold.value, (c) => captureCounter(c, held, take));
  tree.sql.exec("UPDATE holds SET status = 'captured', captured = ?, closed_at = ? WHERE id = ?", formatAmount(take), ctx.now, holdId);
  const receipt = receiptFor(tree, ctx, {
    kind: "capture",
    scope: hold.value.scope,
    asset: hold.value.asset,
    amount: formatAmount(take),
    request_digest: hold.value.request_digest ?? null,
    reason: null,
    hold: holdId,
    // Charged to the windows the hold was made in, even when they have rolled over since:
    // that is where the amount was reserved and counted (see chargedWindow).
    charged_to: chargedTo(hold.value.asset, JSON.parse(hold.value.windows) as HoldWindow[]),
  });
  return ok({ hold: holdView(tree.sql, holdId)!, receipt });
}

/** Gives the whole reservation back. */
export function voidHold(tree: Tree, ctx: DecisionContext, holdId: string): Outcome<SettledHold> {
  const hold = openHold(tree.sql, ctx, holdId);
  if (!hold.ok) return hold;
  settleHoldCounters(tree.sql, hold.value, (c) => release(c, BigInt(hold.value.amount)));
  tree.sql.exec("UPDATE holds SET status = 'voided', closed_at = ? WHERE id = ?", ctx.now, holdId);
  const receipt = receiptFor(tree, ctx, {
    kind: "void",
    scope: hold.value.scope,
    asset: hold.value.asset,
    amount: hold.value.amount,
    request_digest: hold.value.request_digest ?? null,
    reason: null,
    hold: holdId,
  });
  return ok({ hold: holdView(tree.sql, holdId)!, receipt });
}

/** Holds past their expiry give their reservation back, with a receipt and an event (the alarm's part). */
export function expireDueHolds(sql: SqlStorage, key: { kid: string; sign(message: Uint8Array): Uint8Array }, tree: { id: string; principal: string }, now: number): void {
  const due = sql.exec<HoldRow>("SELECT * FROM holds WHERE status = 'open' AND expires_at <= ?", now).toArray();
  for (const h of due) {
    settleHoldCounters(sql, h, (c) => release(c, BigInt(h.amount)));
    sql.exec("UPDATE holds SET status = 'expired', closed_at = ? WHERE id = ?", now, h.id);
    const session = readSession(sql, h.session_id);
    writeReceipt(
      sql,
      key,
      tree,
      {
        kind: "void",
        session: h.session_id,
        path: session?.path ?? [h.session_id],
        scope: h.scope,
        asset: h.asset,
        amount: h.amount,
        request_digest: h.request_digest ?? null,
        reason: "hold-expired",
        hold: h.id,
      },
      now,
    );
    emitEvent(
      sql,
      "hold.expired",
      tree.principal,
      { hold: h.id, session: h.session_id, tree: tree.id, asset: h.asset, amount: h.amount, expired_at: new Date(h.expires_at).toISOString() },
      now,
    );
  }
}

/** The session's own hold, if still open and not past its expiry. */
function openHold(sql: SqlStorage, ctx: DecisionContext, holdId: string): Outcome<HoldRow> {
  const row = sql.exec<HoldRow>("SELECT * FROM holds WHERE id = ?", holdId).toArray()[0];
  if (!row || row.session_id !== ctx.session.id) return refused(problem("not-found", `no hold ${holdId}`));
  if (row.status !== "open" || ctx.now >= row.expires_at)
    return refused(
      problem("hold-closed", `hold ${holdId} is ${row.status === "open" ? "expired" : row.status}`, {
        hold: holdId,
        hold_status: row.status === "open" ? "expired" : row.status,
      }),
    );
  return ok(row);
}

function holdView(sql: SqlStorage, id: string): HoldView | null {
  const h = sql.exec<HoldRow>("SELECT * FROM holds WHERE id = ?", id).toArray()[0];
  if (!h) return null;
  return {
    id: h.id,
    object: "hold",
    session: h.session_id,
    scope: h.scope,
    asset: h.asset,
    amount: h.amount,
    captured: h.captured,
    status: h.status,
    expires_at: new Date(h.expires_at).toISOString(),
    created_at: new Date(h.created_at).toISOString(),
  };
}
