/** Governance on the wire: the listings, bulk revocation and exposure. */
import { z } from "@hono/zod-openapi";
import type * as W from "../wire-types";
import type { Assert, Equal } from "./check";
import { SignedReceiptView } from "./receipts";
import { SessionView } from "./session";

export const ListedSessionView = SessionView.extend({
  last_used_at: z.string().nullable().openapi({ description: "The last authorization or hold of this session (null: never)" }),
}).openapi("ListedSession");

export const SessionList = z
  .object({
    object: z.literal("list"),
    data: z.array(ListedSessionView),
    has_more: z.boolean(),
    next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page (null: none)" }),
  })
  .openapi("SessionList");

export const ReceiptList = z
  .object({
    object: z.literal("list"),
    data: z.array(SignedReceiptView),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
  })
  .openapi("PrincipalReceiptList");

const Figure = z.string().openapi({ description: "Decimal string of integer minor units" });

export const AssetExposure = z
  .object({
    asset: z.string(),
    now: Figure.openapi({ description: "The most every live session together could spend at once" }),
    next_hour: Figure,
    next_day: Figure,
    next_week: Figure,
    until_expiry: Figure,
    held: Figure.openapi({ description: "The part of `now` that open holds and pending approvals reserve" }),
    unbounded: z.boolean().openapi({ description: "Some live tree has no budget in this asset that bounds it; the figures count only the bounded trees" }),
    unbounded_trees: z.array(z.string()),
  })
  .openapi("AssetExposure");

export const HolderView = z
  .object({
    asset: z.string(),
    session: z.string(),
    tree: z.string(),
    reach: Figure.openapi({ description: "The most this session can spend now: the least remaining along its chain, its own holds included" }),
    agent_jkt: z.string(),
    label: z.string().nullable(),
    depth: z.number().int(),
    expires_at: z.string(),
    last_used_at: z.string().nullable(),
  })
  .openapi("ExposureHolder");

export const FindingView = z
  .object({
    kind: z.enum(["idle", "long_lived", "no_rate_limit", "depth_exhausted", "budgets_unused"]),
    description: z.string(),
    count: z.number().int(),
    sessions: z.array(z.string()).openapi({ description: "Up to 100 of them" }),
  })
  .openapi("ExposureFinding");

export const ExposureView = z
  .object({
    object: z.literal("exposure"),
    as_of: z.string(),
    trees: z.object({ total: z.number().int(), live: z.number().int() }),
    assets: z.array(AssetExposure),
    holders: z.array(HolderView),
    holders_overlap: z.boolean(),
    holders_note: z.string(),
    findings: z.array(FindingView),
  })
  .openapi("Exposure");

export const BulkRevocation = z
  .object({
    object: z.literal("bulk_revocation"),
    dry_run: z.boolean(),
    count: z.number().int(),
    ids: z.array(z.string()).openapi({ description: "Every session revoked (or that would be), descendants included" }),
    exposure: ExposureView.nullable().openapi({ description: "Dry run: the exposure that would remain" }),
  })
  .openapi("BulkRevocation");

export type SessionList = W.SessionList;
export type ReceiptList = W.ReceiptList;
export type ExposureView = W.ExposureView;
export type BulkRevocation = W.BulkRevocation;
export type FindingView = W.ExposureFinding;

// The plain types the SDK publishes must be exactly what the schemas validate and document.
export type _SessionListWire = Assert<Equal<z.output<typeof SessionList>, SessionList>>;
export type _ReceiptListWire = Assert<Equal<z.output<typeof ReceiptList>, ReceiptList>>;
export type _ExposureWire = Assert<Equal<z.output<typeof ExposureView>, ExposureView>>;
export type _BulkRevocationWire = Assert<Equal<z.output<typeof BulkRevocation>, BulkRevocation>>;
