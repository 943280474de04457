/**
 * An authorization: the action is checked against the chain's authority, counted, its
 * amount (if any) debited up the chain at once, and receipted — all in the agent's one
 * decision transaction.
 */
import type { AuthorizeInput } from "../../src/contract/session-tree";
import type { SessionView } from "../../src/contract/views";
import type { PendingApproval } from "../../src/contract/wire/approvals";
import { ok, type Outcome } from "../../src/core/errors";
import { approvalNeeded } from "../../src/core/policy/approval";
import { formatAmount } from "../../src/core/policy/amounts";
import { debit } from "../../src/core/policy/budgets";
import type { ChargedWindow, SignedReceipt } from "../../src/core/receipts/receipt";
import { requestApproval } from "./approvals";
import { checkAction } from "./checks";
import { applyToCounters, chargedTo, countCall, holdWindows } from "./counters";
import type { DecisionContext } from "./decision-context";
import { receiptFor } from "./receipts";
import { readSession } from "./store";
import type { Tree } from "./tree";
import { checkTripwires, tripwireObservation } from "./tripwires";
import { viewSession } from "./views";

export function authorize(tree: Tree, ctx: DecisionContext, input: AuthorizeInput): Outcome<{ receipt: SignedReceipt; session: SessionView } | PendingApproval> {
  const denied = checkAction(tree, ctx, input.scope, input.amount);
  if (denied) return denied;
  const tripped = checkTripwires(tree, ctx, tripwireObservation(input.scope, input.amount));
  if (tripped) return tripped;
  // Over a line of any level of the chain: the amount is reserved and the action waits (./approvals.ts).
  const need = approvalNeeded(ctx.chain, input.scope, input.amount ? { asset: input.amount.asset, value: BigInt(input.amount.value) } : undefined);
  if (need)
    return requestApproval(tree, ctx, need, {
      kind: "authorize",
      scope: input.scope,
      ...(input.amount ? { amount: input.amount } : {}),
      ...(input.request_digest ? { requestDigest: input.request_digest } : {}),
    });
  countCall(tree.sql, ctx.chain, { id: ctx.session.id, at: ctx.now });
  let amount: string | null = null;
  let charged: ChargedWindow[] | undefined;
  if (input.amount) {
    const value = BigInt(input.amount.value);
    const written = applyToCounters(tree, ctx, input.amount.asset, (c) => debit(c, value));
    amount = formatAmount(value);
    // A debit is charged to each counter's current window (see chargedWindow).
    charged = chargedTo(input.amount.asset, holdWindows(written));
  }
  const receipt = receiptFor(tree, ctx, {
    kind: "authorize",
    scope: input.scope,
    asset: input.amount?.asset ?? null,
    amount,
    request_digest: input.request_digest ?? null,
    reason: null,
    hold: null,
    ...(charged ? { charged_to: charged } : {}),
  });
  // Ancestors' statuses cannot change inside this transaction: reuse the chain already read.
  return ok({ receipt, session: viewSession(tree, readSession(tree.sql, ctx.session.id)!, ctx.now, ctx.chain) });
}
