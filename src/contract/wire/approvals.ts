/** Approvals on the wire: one approval (pending or closed), a page of them, and the agent's 202. */
import { z } from "@hono/zod-openapi";
import type * as W from "../wire-types";
import type { Assert, Equal } from "./check";
import { SignedReceiptView } from "./receipts";

export const APPROVAL_STATUSES = ["pending", "approved", "denied", "expired", "canceled"] as const;

export const ApprovalView = z
  .object({
    id: z.string(),
    object: z.literal("approval"),
    status: z.enum(APPROVAL_STATUSES),
    kind: z.enum(["authorize", "hold"]).openapi({ description: "What waits: an authorization, or a hold to be placed" }),
    session: z.string(),
    tree: z.string(),
    label: z.string().nullable().openapi({ description: "The asking session's label" }),
    path: z.array(z.string()).openapi({ description: "Session ids from the root to `session`" }),
    scope: z.string(),
    asset: z.string().nullable(),
    amount: z.string().nullable().openapi({ description: "Reserved up the tree while pending (decimal string of minor units)" }),
    request_digest: z.string().nullable(),
    approvers_needed: z.number().int(),
    approved_by: z.array(z.string()).openapi({ description: "API key ids that approved so far, in vote order" }),
    expires_at: z.string(),
    created_at: z.string(),
    decided_at: z.string().nullable(),
    note: z.string().nullable().openapi({ description: "The approver's note (approved)" }),
    reason: z.string().nullable().openapi({ description: "Why it closed without a yes: the denial's reason, or the cause of a cancel" }),
    receipt: z.union([SignedReceiptView, z.null()]), // once closed: the receipt of the outcome (null for an approved hold: its capture is the spend)
    hold: z.string().nullable().openapi({ description: "An approved hold's id" }),
  })
  .openapi("Approval");

export const PendingApproval = z.object({ approval: ApprovalView }).openapi("PendingApproval", {
  description: "The action waits for approval; poll Location (GET /v1/approvals/{id}?wait=N)",
});

export const ApprovalPage = z.object({ data: z.array(ApprovalView), has_more: z.boolean() }).openapi("ApprovalList");

export type ApprovalView = W.ApprovalView;
export type ApprovalStatus = W.ApprovalStatus;
export type PendingApproval = W.PendingApproval;
export type ApprovalPage = W.ApprovalPage;

// The plain types the SDK publishes must be exactly what the schemas validate and document.
export type _ApprovalViewWire = Assert<Equal<z.output<typeof ApprovalView>, ApprovalView>>;
export type _PendingApprovalWire = Assert<Equal<z.output<typeof PendingApproval>, PendingApproval>>;
export type _ApprovalPageWire = Assert<Equal<z.output<typeof ApprovalPage>, ApprovalPage>>;
