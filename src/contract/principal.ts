/** What crosses the edge ↔ Principal RPC boundary: key proofs, idempotency, views. */
import type { Need } from "../core/auth/roles";
import type { Outcome } from "../core/errors";
import type { ApiKeyView, PrincipalView } from "./wire-types";

export type { ApiKeyView, PrincipalView } from "./wire-types";

/**
 * Proof of a principal's API key, as hashed at the edge: the key's secret, or a dashboard
 * sign-in made with the key (`dashboard`: the SHA-256 of the cookie's secret, src/dashboard/).
 */
export interface KeyProof {
  keyId: string;
  /** SHA-256 of the key's secret, hex; empty when `dashboard` proves the key instead. */
  secretHash: string;
  /** A dashboard sign-in of this key, live (not signed out, not past 12 h, the key not revoked). */
  dashboard?: string;
  /** What the route needs of the key's role (src/core/auth/roles.ts); absent: `admin`. */
  need?: Need;
}

export interface Idempotency {
  key: string;
  fingerprint: string;
}

/** A principal call's answer: the outcome and whether it is a stored replay. */
export interface PrincipalResult<T> {
  outcome: Outcome<T>;
  replayed?: boolean;
}

/** A dashboard sign-in: who, with which key (its role limits what the pages offer), its forms' CSRF token, until when. */
export interface DashboardSessionView {
  principal: PrincipalView;
  key: ApiKeyView;
  csrf: string;
  expires_at: string;
}
