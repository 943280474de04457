/** The session as principals and agents see it (HTTP and RPC). */
import type { Limits } from "../core/policy/attenuate";
import type { Period } from "../core/policy/periods";
/** How a session looks to principals and agents: its bounds and its live counters. */
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
  counters: {
    calls: { limit: number; used: number; remaining: number } | null;
    budgets: {
      asset: string;
      period: Period | null;
      limit: string;
      spent: string;
      held: string;
      remaining: string;
      window_start: string | null;
      resets_at: string | null;
    }[];
    rate: { requests: number; per_seconds: number; remaining: number; reset_seconds: number } | null;
    rate_limited: number;
  };
}
