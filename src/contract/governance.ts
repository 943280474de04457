/**
 * What crosses the Principal ↔ SessionTree boundary for governance: the listing's
 * filters and cursors, and one tree's part of the principal's exposure. Amounts are
 * decimal strings; times epoch ms.
 */
import type { Figures } from "../core/policy/exposure";
import type { ExposureHolder } from "./wire-types";
import type { SessionView } from "./wire/session";

/** A listed session: its view with counters, and when it last authorized or held. */
export type ListedSession = SessionView & { last_used_at: string | null };

export type SessionStatusFilter = "active" | "revoked" | "expired" | "frozen" | "pending";

/** The listing's filters; bulk revocation takes the same. All given members must hold. */
export interface SessionFilter {
  status?: SessionStatusFilter;
  /** Only roots (true) or only delegated sessions (false). */
  root?: boolean;
  label?: string;
  /** The agent key's RFC 7638 thumbprint. */
  agent?: string;
  createdBefore?: number;
  createdAfter?: number;
  expiresBefore?: number;
  expiresAfter?: number;
  /** No authorization or hold for at least this long (ms); a session never used counts from its creation. */
  idleForMs?: number;
  depth?: number;
}

/** Newest first: strictly before this (created_at, id). */
export interface ListCursor {
  createdAt: number;
  id: string;
}

export interface ReceiptFilter {
  session?: string;
  kind?: "authorize" | "capture" | "void" | "denial";
  outcome?: "allowed" | "denied";
  createdBefore?: number;
  createdAfter?: number;
}

export const FINDING_KINDS = ["idle", "long_lived", "no_rate_limit", "depth_exhausted", "budgets_unused"] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** A live session that can spend an asset, with the most it can reach now (least remaining along its chain, its own holds included). */
export type Holder = ExposureHolder;

/** Why a tree cannot spend now (null: it can). */
export type TreeState = "live" | "revoked" | "expired" | "frozen" | "pending" | "calls_exhausted";

/** One tree's part of the exposure, computed in the tree with src/core/policy/exposure.ts. */
export interface TreeExposure {
  tree: string;
  root: string;
  state: TreeState;
  /** Per asset any of the tree's sessions has a budget in. `figures` null: unbounded in that asset. */
  assets: { asset: string; figures: Figures | null; held: string }[];
  /** The top holders per asset (at most the number asked for). */
  holders: Holder[];
  /** Live sessions per finding (at most the number asked for) and how many there are. */
  findings: { kind: FindingKind; sessions: string[]; count: number }[];
}

/** A listing cursor on the wire: base64url of `<created_at ms>.<id>`; opaque to callers. */
export function encodeCursor(c: ListCursor): string {
  return btoa(`${c.createdAt}.${c.id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeCursor(text: string): ListCursor | null {
  try {
    const plain = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const m = /^(\d{1,16})\.([a-z]{3}_[0-9a-z]{1,64})$/.exec(plain);
    return m ? { createdAt: Number(m[1]), id: m[2]! } : null;
  } catch {
    return null;
  }
}
