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
  /** A root only: where its children go when a delegation does not say (`placement`). */
  childPlacement?: Placement;
}

/** A delegation as asked for: omitted bounds are inherited from the parent. */
export type ChildRequest = Omit<NewSession, "notBefore" | "expiresAt" | "limits" | "maxDepth" | "childPlacement"> &
  Partial<Pick<NewSession, "notBefore" | "expiresAt" | "limits" | "maxDepth">> & {
    /** `own_object`: the child and its subtree live in an object of their own, under a budget lease. */
    placement?: Placement;
  };

export type Placement = "same_object" | "own_object";

// ---------------------------------------------------------------- budget leases, between tree objects

/** A session as one tree object hands it to another: the fields that never change after creation. */
export interface PlacedSession {
  id: string;
  parent: string | null;
  path: string[];
  depth: number;
  agentJwk: AgentJwk;
  jkt: string;
  scopes: string[];
  notBefore: number;
  expiresAt: number;
  limits: Limits;
  maxDepth: number;
  label: string | null;
  createdAt: number;
}

/** What the parent's object sends the object it places a child in (durable-objects/session-tree/lease-holder.ts). */
export interface LeaseOffer {
  /** The leased object's own tree id (its sessions, receipts and holds carry its key). */
  tree: string;
  /** The tree id of the parent's object, which grants the slices. */
  parentTree: string;
  principal: string;
  issuer: string;
  /** The leased session, the root of the object. */
  session: PlacedSession;
  /** Its ancestors, root first, as they were at placement. */
  ancestors: PlacedSession[];
  /** The ancestors frozen by their own switch now. */
  frozenAncestors: string[];
  principalFrozen: boolean;
}

/** One slice: an ancestor's counter in one window, with the leased object's cumulative figures (decimal strings). */
export interface SliceReport {
  session: string;
  asset: string;
  period: string;
  windowStart: number | null;
  granted: string;
  released: string;
  spent: string;
}

/** A refill or a renewal, as the leased object asks for it. */
export interface LeaseAsk {
  /** Absent: a renewal only. */
  asset?: string;
  need?: string;
  want?: string;
  report: SliceReport[];
}

/** The parent's answer: the lease's new time-to-live and every slice's cumulative grant in its current window. */
export interface LeaseGrant {
  validUntil: number;
  slices: { session: string; asset: string; period: string; windowStart: number | null; granted: string }[];
  frozenAncestors: string[];
  principalFrozen: boolean;
}

/** Why the parent gives nothing: the lease is over (revoked, expired) or held (frozen), or the budget is spent. */
export interface LeaseRefusal {
  stop: "revoked" | "frozen" | "exhausted" | "unknown";
  /** For `revoked`: the ancestor whose revocation reached the lease. */
  by?: string;
  detail: string;
  /** For `frozen`: the switches above the lease now (the leased object takes them, and its decision refuses, receipted). */
  frozenAncestors?: string[];
  principalFrozen?: boolean;
  /** For `frozen` by a switch the leased object cannot hold (a trip-wire's in the parent's object): the parent's refusal. */
  problem?: { name: string; detail: string };
}

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
