/** Sessions on the wire: the view with live counters, a grant, a subtree, a revocation, an authorization. */
import { z } from "@hono/zod-openapi";
import type * as W from "../wire-types";
import type { Assert, Equal } from "./check";
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

export const LeaseSliceView = z.object({
  session: z.string(),
  asset: z.string(),
  period: Period.nullable(),
  window_start: z.string().nullable(),
  granted: z.string(),
  spent: z.string(),
  released: z.string(),
  outstanding: z.string().openapi({ description: "Granted, neither reported spent nor given back: held in the ancestor's counter" }),
});

export const LeaseView = z
  .object({
    object: z.literal("lease"),
    tree: z.string().openapi({ description: "The object (tree id) the session and its descendants live in" }),
    state: z.enum(["open", "revoking", "closed"]),
    valid_until: z.string().nullable().openapi({ description: "The lease stops by itself at this moment unless renewed" }),
    requests: z.number().int().openapi({ description: "Requests the leased object made to its parent's object: refills, renewals, reports" }),
    slices: z.array(LeaseSliceView),
  })
  .openapi("Lease");

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
    lease: LeaseView.optional().openapi({
      description: 'Present on a session placed in an object of its own (`placement: "own_object"`): its budget lease as the parent records it',
    }),
    tripped: z
      .array(
        z.object({
          rule: z.string(),
          action: z.enum(["freeze_session", "freeze_tree", "freeze_principal"]),
          session: z.string().nullable().openapi({ description: "For freeze_session: the session whose subtree is frozen" }),
          at: z.string(),
        }),
      )
      .openapi({ description: "Trip-wire freezes that stop this session; separate from the principal's freeze, cleared by POST /v1/tripwires/{id}/reset" }),
  })
  .openapi("Session");

export const GrantResponse = z.object({ session: SessionView, token: z.string() }).openapi("SessionGrant");

/** Descendants per page of `GET /v1/sessions/{id}/tree`: by default, and at most. */
export const TREE_PAGE_DEFAULT = 100;
export const TREE_PAGE_MAX = 500;

/** Which page of a tree view: `limit` descendants after `startingAfter` (a descendant's id). */
export interface TreePage {
  limit: number;
  startingAfter?: string;
}

export const SessionTreeView = z
  .object({
    session: SessionView,
    descendants: z.array(SessionView).openapi({ description: "One page of the descendants, depth-first, siblings in creation order" }),
    has_more: z.boolean().openapi({ description: "More descendants follow: ask again with `starting_after` = `next_cursor`" }),
    next_cursor: z.string().nullable().openapi({ description: "The last descendant of this page when `has_more`, else null" }),
  })
  .openapi("SessionTree");

export const Revocation = z
  .object({
    session: z.string(),
    revoked: z.number().int(),
    pending_sessions: z
      .array(z.string())
      .optional()
      .openapi({ description: "Sessions in objects of their own the revocation has not reached yet; each stops by itself when its lease lapses (at most 30 s)" }),
  })
  .openapi("Revocation");

export const Authorization = z.object({ receipt: SignedReceiptView, session: SessionView }).openapi("Authorization");

export type SessionView = W.SessionView;
export type BudgetCounterView = W.BudgetCounterView;
export type Grant = W.Grant;
export type SessionTreeView = W.SessionTreeView;
export type Revocation = W.Revocation;
export type Authorization = W.Authorization;
export type LeaseView = W.LeaseView;

// The plain types the SDK publishes must be exactly what the schemas validate and document.
export type _SessionViewWire = Assert<Equal<z.output<typeof SessionView>, SessionView>>;
export type _BudgetCounterViewWire = Assert<Equal<z.output<typeof BudgetCounterView>, BudgetCounterView>>;
export type _GrantWire = Assert<Equal<z.output<typeof GrantResponse>, Grant>>;
export type _SessionTreeViewWire = Assert<Equal<z.output<typeof SessionTreeView>, SessionTreeView>>;
export type _RevocationWire = Assert<Equal<z.output<typeof Revocation>, Revocation>>;
export type _AuthorizationWire = Assert<Equal<z.output<typeof Authorization>, Authorization>>;
