/** Holds on the wire: an open hold, and a captured or voided one with its receipt. */
import { z } from "@hono/zod-openapi";
import { SignedReceiptView } from "./receipts";

export const HoldView = z
  .object({
    id: z.string(),
    object: z.literal("hold"),
    session: z.string(),
    scope: z.string(),
    asset: z.string(),
    amount: z.string(),
    captured: z.string().nullable(),
    status: z.enum(["open", "captured", "voided", "expired"]),
    expires_at: z.string(),
    created_at: z.string(),
  })
  .openapi("Hold");

export const SettledHold = z.object({ hold: HoldView, receipt: SignedReceiptView }).openapi("SettledHold");

export type HoldView = z.output<typeof HoldView>;
export type SettledHold = z.output<typeof SettledHold>;
