/**
 * Refusals that leave a signed denial receipt: an agent that was refused for its
 * authority (scope, calls, budget, revocation, freeze) has a verifiable record of it,
 * as the principal does.
 */
import { problem, refused, type Outcome, type ProblemName } from "../../src/core/errors";
import type { DecisionContext } from "./decision-context";
import { receiptFor } from "./receipts";
import type { Tree } from "./tree";

export function deny(
  tree: Tree,
  ctx: DecisionContext,
  name: ProblemName,
  detail: string,
  extra?: Record<string, unknown>,
  amount?: { asset: string; value: string },
): Outcome<never> {
  const receipt = receiptFor(tree, ctx, {
    kind: "denial",
    scope: typeof extra?.scope === "string" ? extra.scope : null,
    asset: amount?.asset ?? null,
    amount: amount?.value ?? null,
    request_digest: null,
    reason: name,
    hold: null,
  });
  return refused(problem(name, detail, { ...extra, receipt: receipt.receipt.id }));
}
