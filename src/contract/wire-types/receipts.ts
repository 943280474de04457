/** The wire's receipts, as plain TypeScript (see ../wire-types.ts). */
import type { SignedReceipt } from "../../core/receipts/receipt";

/** Core signs and hashes receipts, so it owns their shape. */
export type SignedReceiptView = SignedReceipt;

export interface ReceiptPage {
  data: SignedReceiptView[];
  has_more: boolean;
}
