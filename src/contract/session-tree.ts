/** What crosses the edge ↔ SessionTree RPC boundary: agent calls, grants, holds. */
import type { AgentJwk } from "../core/auth/jwk";
import type { Outcome } from "../core/errors";
import type { Limits } from "../core/policy/attenuate";

export type { Grant, HoldView } from "./wire-types";

/** What the edge learned about an agent request before calling the tree. */
export interface AgentCall {
  session: string;
  jti: string;
  /** When the replay-cache entry for this `jti` may be dropped (ms). */
  jtiExpiresAt: number;
  idempotency?: { key: string; fingerprint: string };
}

/** An agent decision: the outcome plus what the edge needs for headers. */
export interface AgentResult<T> {
  outcome: Outcome<T>;
  rateLimit?: Record<string, string>;
  replayed?: boolean;
}

export interface NewSession {
  agentJwk: AgentJwk;
  jkt: string;
  scopes: string[];
  notBefore: number;
  expiresAt: number;
  limits: Limits;
  maxDepth: number;
  label: string | null;
}

/** A delegation as asked for: omitted bounds are inherited from the parent. */
export type ChildRequest = Omit<NewSession, "notBefore" | "expiresAt" | "limits" | "maxDepth"> &
  Partial<Pick<NewSession, "notBefore" | "expiresAt" | "limits" | "maxDepth">>;

export interface AuthorizeInput {
  scope: string;
  amount?: { asset: string; value: string };
  request_digest?: string;
}

export interface HoldInput {
  scope: string;
  amount: { asset: string; value: string };
  expiresInSeconds?: number;
  /** The request this hold pays for; its capture, void or expiry receipt carries it. */
  requestDigest?: string;
}

/** Who asks for a receipt: its principal, or an agent whose session is in the tree. */
export type ReceiptCaller = { principal: string } | { session: string };
