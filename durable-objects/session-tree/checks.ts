/**
 * Whether an action is within the session's authority: scope, calls and budget, against
 * the session and every ancestor (a child can never do what a parent cannot). A refusal
 * of authority is receipted; a malformed request is not.
 */
import { decimalsOf, formatMoney } from "../../src/core/policy/money";
import { problem, refused, type Outcome } from "../../src/core/errors";
import { formatAmount } from "../../src/core/policy/amounts";
import { checkDebit, rollover, type BudgetCounter } from "../../src/core/policy/budgets";
import { coveredByAny } from "../../src/core/policy/scopes";
import type { DecisionContext } from "./decision-context";
import { deny } from "./denials";
import { readCounters } from "./store";
import type { Tree } from "./tree";

export function checkAction(tree: Tree, ctx: DecisionContext, scope: string, amount?: { asset: string; value: string }): Outcome<never> | null {
  const withScope = { scope };
  if (!ctx.chain.every((s) => coveredByAny(s.scopes, scope))) return deny(tree, ctx, "scope-denied", `scope ${scope} is not granted to this session`, withScope);
  const exhausted = ctx.chain.find((s) => s.limits.calls !== undefined && s.callsUsed >= s.limits.calls);
  if (exhausted)
    return deny(tree, ctx, "calls-exhausted", `session ${exhausted.id} has used all ${exhausted.limits.calls} calls`, {
      ...withScope,
      session: exhausted.id,
      limit: exhausted.limits.calls,
    });
  if (!amount) return null;
  const chainCounters = readCounters(
    tree.sql,
    ctx.chain.map((s) => s.id),
    amount.asset,
  );
  if (!chainCounters.some((c) => c.session === ctx.session.id))
    return refused(
      problem("validation-failed", `this session has no budget in ${amount.asset}`, {
        errors: [{ field: "amount.asset", rule: "unknown_asset", message: `no budget in ${amount.asset} on this session` }],
      }),
    );
  const counters = chainCounters.map((c) => ({ ...rollover(c, ctx.now), session: c.session }));
  const verdict = checkDebit(counters, BigInt(amount.value));
  if (!verdict.ok) {
    const c = verdict.counter as BudgetCounter & { session: string };
    // Words in major units for people; the exact minor-unit fields stand beside them.
    const money = (minor: bigint | string) => formatMoney(amount.asset, minor, decimalsOf(amount.asset, tree.decimals));
    return deny(
      tree,
      ctx,
      "budget-exceeded",
      `${money(amount.value)} would exceed the ${c.period ?? "lifetime"} budget of session ${c.session}: ${money(verdict.remaining)} remains`,
      {
        ...withScope,
        session: c.session,
        asset: c.asset,
        period: c.period,
        limit: formatAmount(c.limit),
        spent: formatAmount(c.spent),
        held: formatAmount(c.held),
        remaining: formatAmount(verdict.remaining),
        requested: amount.value,
      },
      amount,
    );
  }
  return null;
}
