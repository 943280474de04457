/** Receipts on the wire: the signed receipt and a page of them. */
import { z } from "@hono/zod-openapi";
import type { Receipt as CoreReceipt, SignedReceipt as CoreSignedReceipt } from "../../core/receipts/receipt";
import type * as W from "../wire-types";
import type { Assert, Equal, Same } from "./check";

export const ChargedWindow = z
  .object({
    session: z.string(),
    asset: z.string(),
    period: z.enum(["hour", "day", "week", "month"]),
    window_start: z.string().openapi({ description: "Start of the window (RFC 3339, ms, UTC)" }),
  })
  .openapi("ChargedWindow", { description: "A periodic budget window a committed amount was charged to" });

export const ReceiptApproval = z
  .object({
    id: z.string(),
    decided_by: z.array(z.string()).openapi({ description: "API key ids that decided it, in vote order; empty for a timeout or a cancel" }),
    decided_at: z.string(),
    note: z.string().nullable().openapi({ description: "The approver's note, or the denial's reason" }),
  })
  .openapi("ReceiptApproval", { description: "The approval a receipt closes" });

export const Receipt = z
  .object({
    v: z.literal(1),
    id: z.string(),
    kind: z.enum(["authorize", "capture", "void", "denial"]),
    tree: z.string(),
    session: z.string(),
    path: z.array(z.string()).openapi({ description: "Session ids from the root to `session`" }),
    principal: z.string(),
    scope: z.string().nullable(),
    asset: z.string().nullable(),
    amount: z.string().nullable().openapi({ description: "Decimal string of integer minor units" }),
    request_digest: z.string().nullable(),
    reason: z.string().nullable().openapi({ description: "A denial's problem name" }),
    hold: z.string().nullable(),
    charged_to: z.array(ChargedWindow).optional().openapi({
      description:
        "On receipts that commit an amount: each periodic budget window up the chain it was charged to — a spend's current window, a capture's the window its hold was made in. Absent on other receipts and on older ones.",
    }),
    approval: ReceiptApproval.optional().openapi({
      description: "On receipts that close an approval (the approved spend, or its denial, expiry or cancel). Absent on other receipts and on older ones.",
    }),
    tripwire: z.string().optional().openapi({ description: "On a denial with reason `tripwire`: the id of the trip-wire rule that refused it" }),
    seq: z.number().int().openapi({ description: "Per tree" }),
    at: z.string(),
    kid: z.string().openapi({ description: "The service key that signed it (see the JWKS)" }),
  })
  .openapi("Receipt");

export const SignedReceiptView = z
  .object({
    receipt: Receipt,
    bytes: z.string().openapi({ description: "RFC 8785 canonical JSON of `receipt`, exactly as signed and hashed" }),
    signature: z.string().openapi({ description: "base64url Ed25519 over utf8(bytes)" }),
    leaf_hash: z.string().openapi({ description: "hex SHA-256(0x00 || utf8(bytes))" }),
  })
  .openapi("SignedReceipt");

export const ReceiptPage = z.object({ data: z.array(SignedReceiptView), has_more: z.boolean() }).openapi("ReceiptList");

export type SignedReceiptView = W.SignedReceiptView;
export type ReceiptPage = W.ReceiptPage;

// The plain types the SDK publishes must be exactly what the schemas validate and document.
export type _SignedReceiptViewWire = Assert<Equal<z.output<typeof SignedReceiptView>, SignedReceiptView>>;
export type _ReceiptPageWire = Assert<Equal<z.output<typeof ReceiptPage>, ReceiptPage>>;

// Core signs and hashes receipts, so it owns their shape; the wire must say exactly the same.
export type _ReceiptTie = Assert<Same<z.output<typeof Receipt>, CoreReceipt>>;
export type _SignedReceiptTie = Assert<Same<SignedReceiptView, CoreSignedReceipt>>;
