/** Response bodies of /v1/tripwires…, tied at compile time to their plain types in ../wire-types. */
import { z } from "@hono/zod-openapi";
import type * as W from "../wire-types";
import type { Assert, Equal } from "./check";

export const TripwireView = z
  .object({
    id: z.string().openapi({ example: "trw_01j9zq3x4m5n6p7r8s9t0v1w2x" }),
    object: z.literal("tripwire"),
    metric: z.enum(["amount", "count", "denials"]),
    asset: z.string().nullable(),
    scope: z.string().nullable(),
    window: z.number().int().openapi({ description: "Trailing window in seconds" }),
    threshold: z.string().openapi({ description: "Minor units (amount) or a count; the decision that takes the window's total over it trips" }),
    per: z.enum(["session", "tree"]),
    action: z.enum(["deny", "freeze_session", "freeze_tree", "freeze_principal"]),
    mode: z.enum(["enforce", "shadow"]),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Tripwire");

const PendingTrees = z.array(z.string()).openapi({ description: "Trees the change has not reached yet; empty when every tree has it" });

export const TripwireChange = z.object({ tripwire: TripwireView, pending_trees: PendingTrees }).openapi("TripwireChange");
export const TripwireList = z.object({ data: z.array(TripwireView) }).openapi("TripwireList");
export const DeletedTripwire = z
  .object({ id: z.string(), object: z.literal("tripwire"), deleted: z.literal(true), pending_trees: PendingTrees })
  .openapi("DeletedTripwire");
export const TripwireReset = z
  .object({ id: z.string(), object: z.literal("tripwire_reset"), cleared: z.number().int(), pending_trees: PendingTrees })
  .openapi("TripwireReset");

export type TripwireView = W.TripwireView;
export type TripwireChange = W.TripwireChange;
export type TripwireList = W.TripwireList;
export type DeletedTripwire = W.DeletedTripwire;
export type TripwireReset = W.TripwireReset;

export type _TripwireViewWire = Assert<Equal<z.output<typeof TripwireView>, TripwireView>>;
export type _TripwireChangeWire = Assert<Equal<z.output<typeof TripwireChange>, TripwireChange>>;
export type _TripwireListWire = Assert<Equal<z.output<typeof TripwireList>, TripwireList>>;
export type _DeletedTripwireWire = Assert<Equal<z.output<typeof DeletedTripwire>, DeletedTripwire>>;
export type _TripwireResetWire = Assert<Equal<z.output<typeof TripwireReset>, TripwireReset>>;
