/** Holds on the wire: an open hold, and a captured or voided one with its receipt. */
import { z } from "@hono/zod-openapi";
import type * as W from "../wire-types";
import type { Assert, Equal } from "./check";
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

export type HoldView = W.HoldView;
export type SettledHold = W.SettledHold;

// The plain types the SDK publishes must be exactly what the schemas validate and document.
export type _HoldViewWire = Assert<Equal<z.output<typeof HoldView>, HoldView>>;
export type _SettledHoldWire = Assert<Equal<z.output<typeof SettledHold>, SettledHold>>;
