/** The wire's sessions, as plain TypeScript (see ../wire-types.ts). */
import type { Period } from "../../core/policy/periods";
import type { Limits } from "./limits";
import type { SignedReceiptView } from "./receipts";

export interface BudgetCounterView {
  asset: string;
  period: Period | null;
  limit: string;
  spent: string;
  held: string;
  remaining: string;
  window_start: string | null;
  resets_at: string | null;
}

export interface SessionView {
  id: string;
  object: "session";
  tree: string;
  principal: string;
  parent: string | null;
  depth: number;
  label: string | null;
  status: "active" | "revoked" | "expired" | "pending" | "frozen";
  scopes: string[];
  not_before: string;
  expires_at: string;
  max_depth: number;
  limits: Limits;
  agent_jkt: string;
  created_at: string;
  revoked_at: string | null;
  /** Present while frozen: which switches hold it (the principal's, its own, an ancestor's). */
  frozen_by?: ("principal" | "session" | "ancestor")[];
  counters: {
    calls: { limit: number; used: number; remaining: number } | null;
    budgets: BudgetCounterView[];
    rate: { requests: number; per_seconds: number; remaining: number; reset_seconds: number } | null;
    rate_limited: number;
  };
  /** Present on a session placed in an object of its own (`placement: "own_object"`), as its parent's object records the budget lease. */
  lease?: LeaseView;
  /** Trip-wire freezes that stop this session (its own or an ancestor's, the tree's, the principal's): a switch apart from the principal's freeze, cleared by resetting the rule. */
  tripped: TrippedView[];
}

/** A budget lease: the slices of each ancestor's budget a leased object was granted, in their current windows (decimal strings of minor units). */
export interface LeaseView {
  object: "lease";
  /** The object (tree id) the session and its descendants live in. */
  tree: string;
  state: "open" | "revoking" | "closed";
  /** The lease stops by itself at this moment unless renewed. */
  valid_until: string | null;
  /** Requests the leased object made to this one (placement excluded): refills, renewals, reports. */
  requests: number;
  slices: LeaseSliceView[];
}

export interface LeaseSliceView {
  session: string;
  asset: string;
  period: Period | null;
  window_start: string | null;
  granted: string;
  spent: string;
  released: string;
  /** Granted, neither reported spent nor given back: reserved in the ancestor's counter as held. */
  outstanding: string;
}

export interface TrippedView {
  rule: string;
  action: "freeze_session" | "freeze_tree" | "freeze_principal";
  /** For freeze_session: the session whose subtree is frozen; else null. */
  session: string | null;
  at: string;
}

export interface Grant {
  session: SessionView;
  token: string;
}

export interface SessionTreeView {
  session: SessionView;
  descendants: SessionView[];
  has_more: boolean;
  next_cursor: string | null;
}

export interface Revocation {
  session: string;
  revoked: number;
  /** Sessions in objects of their own that the revocation has not reached yet: they stop by themselves when their lease lapses (at most 30 s). */
  pending_sessions?: string[];
}

export interface Authorization {
  receipt: SignedReceiptView;
  session: SessionView;
}
