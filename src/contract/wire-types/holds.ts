/** The wire's holds, as plain TypeScript (see ../wire-types.ts). */
import type { SignedReceiptView } from "./receipts";

export interface HoldView {
  id: string;
  object: "hold";
  session: string;
  scope: string;
  asset: string;
  amount: string;
  captured: string | null;
  status: "open" | "captured" | "voided" | "expired";
  expires_at: string;
  created_at: string;
}

export interface SettledHold {
  hold: HoldView;
  receipt: SignedReceiptView;
}
