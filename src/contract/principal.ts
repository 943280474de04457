/** What crosses the edge ↔ Principal RPC boundary: key proofs, idempotency, views. */
import type { Need } from "../core/auth/roles";
import type { Outcome } from "../core/errors";

export type { ApiKeyView, PrincipalView } from "./wire-types";

/** Proof of a principal's API key, as hashed at the edge. */
export interface KeyProof {
  keyId: string;
  secretHash: string;
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
