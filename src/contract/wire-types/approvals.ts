/** The wire's approvals, as plain TypeScript (see ../wire-types.ts). */
import type { SignedReceiptView } from "./receipts";

export type ApprovalStatus = "pending" | "approved" | "denied" | "expired" | "canceled";

export interface ApprovalView {
  id: string;
  object: "approval";
  status: ApprovalStatus;
  kind: "authorize" | "hold";
  session: string;
  tree: string;
  label: string | null;
  path: string[];
  scope: string;
  asset: string | null;
  amount: string | null;
  request_digest: string | null;
  approvers_needed: number;
  approved_by: string[];
  expires_at: string;
  created_at: string;
  decided_at: string | null;
  note: string | null;
  reason: string | null;
  receipt: SignedReceiptView | null;
  hold: string | null;
}

export interface PendingApproval {
  approval: ApprovalView;
}

export interface ApprovalPage {
  data: ApprovalView[];
  has_more: boolean;
}
