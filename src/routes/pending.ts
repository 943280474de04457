import type { Context } from "hono";
import type { AgentResult, SerializedAnswer } from "../contract/session-tree";
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

/**
 * The same for an answer the object serialised (`SerializedAnswer`): the body is sent as
 * it came, with the headers `respondOrPending` would have set (`c.json`'s Content-Type
 * first), so the bytes on the wire are the same.
 */
export function respondSerialized(c: Context, result: AgentResult<SerializedAnswer>, status: 200 | 201) {
  const { outcome } = result;
  if (!outcome.ok) return respond(c, result, status);
  const headers: Record<string, string> = { "Content-Type": "application/json", ...(result.rateLimit ?? {}) };
  const { json, approval } = outcome.value;
  if (approval !== undefined) {
    headers.Location = `/v1/approvals/${approval}`;
    headers["Retry-After"] = "2";
  }
  if (result.replayed) headers["Idempotent-Replayed"] = "true";
  return c.body(json, approval !== undefined ? 202 : status, headers) as never;
}
