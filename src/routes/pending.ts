import type { Context } from "hono";
import type { AgentResult } from "../contract/session-tree";
import type { PendingApproval } from "../contract/wire/approvals";
import { respond } from "../http";

/**
 * An agent decision that may have to wait for approval: `202 Accepted` with the pending
 * approval, `Location` to poll and `Retry-After`; anything else as `respond` would.
 */
export function respondOrPending<T extends object>(c: Context, result: AgentResult<T | PendingApproval>, status: 200 | 201) {
  const { outcome } = result;
  if (outcome.ok && "approval" in outcome.value) {
    const pending = outcome.value as PendingApproval;
    const headers: Record<string, string> = { ...(result.rateLimit ?? {}), Location: `/v1/approvals/${pending.approval.id}`, "Retry-After": "2" };
    if (result.replayed) headers["Idempotent-Replayed"] = "true";
    return c.json(pending, 202, headers) as never;
  }
  return respond(c, result, status);
}
