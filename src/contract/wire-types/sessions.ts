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
  /** Trip-wire freezes that stop this session (its own or an ancestor's, the tree's, the principal's): a switch apart from the principal's freeze, cleared by resetting the rule. */
  tripped: TrippedView[];
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
}

export interface Authorization {
  receipt: SignedReceiptView;
  session: SessionView;
}
