/** Sessions on the wire: the view with live counters, a grant, a subtree, a revocation, an authorization. */
import { z } from "@hono/zod-openapi";
import { Limits, Period } from "./limits";
import { SignedReceiptView } from "./receipts";

export const BudgetCounterView = z.object({
  asset: z.string(),
  period: Period.nullable(),
  limit: z.string(),
  spent: z.string(),
  held: z.string(),
  remaining: z.string(),
  window_start: z.string().nullable(),
  resets_at: z.string().nullable(),
});

export const SessionView = z
  .object({
    id: z.string(),
    object: z.literal("session"),
    tree: z.string(),
    principal: z.string(),
    parent: z.string().nullable(),
    depth: z.number().int(),
    label: z.string().nullable(),
    status: z.enum(["active", "revoked", "expired", "pending", "frozen"]),
    scopes: z.array(z.string()),
    not_before: z.string(),
    expires_at: z.string(),
    max_depth: z.number().int(),
    limits: Limits,
    agent_jkt: z.string(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
    frozen_by: z
      .array(z.enum(["principal", "session", "ancestor"]))
      .optional()
      .openapi({ description: "Present while frozen: which switches hold it (the principal's, its own, an ancestor's)" }),
    counters: z.object({
      calls: z.object({ limit: z.number(), used: z.number(), remaining: z.number() }).nullable(),
      budgets: z.array(BudgetCounterView),
      rate: z.object({ requests: z.number(), per_seconds: z.number(), remaining: z.number(), reset_seconds: z.number() }).nullable(),
      rate_limited: z.number(),
    }),
  })
  .openapi("Session");

export const GrantResponse = z.object({ session: SessionView, token: z.string() }).openapi("SessionGrant");

export const SessionTreeView = z.object({ session: SessionView, descendants: z.array(SessionView) }).openapi("SessionTree");

export const Revocation = z.object({ session: z.string(), revoked: z.number().int() }).openapi("Revocation");

export const Authorization = z.object({ receipt: SignedReceiptView, session: SessionView }).openapi("Authorization");

export type SessionView = z.output<typeof SessionView>;
export type BudgetCounterView = z.output<typeof BudgetCounterView>;
export type Grant = z.output<typeof GrantResponse>;
export type SessionTreeView = z.output<typeof SessionTreeView>;
export type Revocation = z.output<typeof Revocation>;
export type Authorization = z.output<typeof Authorization>;
