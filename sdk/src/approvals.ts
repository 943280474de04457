/**
 * Human approval in the SDK: the typed ends of an approval that was not a yes, and the
 * wait for one. An authorization or hold over a session's approval line is answered
 * `202` with a pending approval; `agent.authorize(scope, { approval: { wait: true } })`
 * waits for it (long-polling `GET /v1/approvals/{id}?wait=N`) and resolves with the
 * receipt once approved, or throws `ApprovalDeniedError` / `ApprovalExpiredError` /
 * `ApprovalCanceledError` (with the denial receipt), or `ApprovalTimeoutError` when the
 * caller's own `timeoutMs` runs out first (the approval is then still pending).
 */
import type { ApprovalView, PendingApproval } from "../../src/contract/wire-types";
import { RemitError } from "./errors";

export type Approval = ApprovalView;
export type ApprovalStatus = ApprovalView["status"];
export type { PendingApproval };

/** How an agent call waits for approval. */
export interface ApprovalWait {
  /** Wait for the outcome (default false: the pending approval is returned). */
  wait?: boolean;
  /** Give up waiting after this long (default 10 minutes); the approval stays pending. */
  timeoutMs?: number;
}

/** An approval that ended without a yes, or that the caller stopped waiting for. */
export class ApprovalEndedError extends RemitError {
  readonly approval: Approval;
  constructor(code: string, approval: Approval, detail: string) {
    super({ type: `/problems/${code}`, title: "The approval did not pass", status: 403, detail, approval: approval.id });
    this.approval = approval;
  }
  /** The signed receipt of the end (a denial or void receipt), when there is one. */
  get receipt() {
    return this.approval.receipt;
  }
}
export class ApprovalDeniedError extends ApprovalEndedError {
  static override readonly code = "approval-denied";
}
export class ApprovalExpiredError extends ApprovalEndedError {
  static override readonly code = "approval-expired";
}
export class ApprovalCanceledError extends ApprovalEndedError {
  static override readonly code = "approval-canceled";
}
export class ApprovalTimeoutError extends ApprovalEndedError {
  static override readonly code = "approval-timeout";
}
/** The service asked for approval and the call did not opt into approvals (`approval: {}`). */
export class ApprovalRequiredError extends ApprovalEndedError {
  static override readonly code = "approval-required";
}

export function isPending(value: object): value is PendingApproval {
  return "approval" in value && typeof (value as PendingApproval).approval?.id === "string" && !("receipt" in value);
}

/** Throws the typed end of an approval that did not pass. */
export function throwUnlessApproved(a: Approval): void {
  if (a.status === "approved") return;
  if (a.status === "denied") throw new ApprovalDeniedError("approval-denied", a, `approval ${a.id} was denied${a.reason ? `: ${a.reason}` : ""}`);
  if (a.status === "expired") throw new ApprovalExpiredError("approval-expired", a, `approval ${a.id} expired without a decision`);
  if (a.status === "canceled") throw new ApprovalCanceledError("approval-canceled", a, `approval ${a.id} was canceled (${a.reason ?? "agent"})`);
}

/** Long-polls `read(id, waitSeconds)` until the approval ends or `timeoutMs` runs out. */
export async function waitForApproval(read: (waitSeconds: number) => Promise<Approval>, first: Approval, timeoutMs = 600_000): Promise<Approval> {
  const until = Date.now() + timeoutMs;
  let current = first;
  while (current.status === "pending") {
    const left = until - Date.now();
    if (left <= 0) throw new ApprovalTimeoutError("approval-timeout", current, `approval ${current.id} is still pending after ${timeoutMs} ms`);
    current = await read(Math.max(1, Math.min(25, Math.floor(left / 1000))));
  }
  throwUnlessApproved(current);
  return current;
}
