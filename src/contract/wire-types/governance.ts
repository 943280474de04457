/** The wire's governance, as plain TypeScript (see ../wire-types.ts). */
import type { SignedReceiptView } from "./receipts";
import type { SessionView } from "./sessions";

/** A session of the principal's listing: its view with counters, and its last use. */
export interface ListedSession extends SessionView {
  /** The last authorization or hold of this session (null: never). */
  last_used_at: string | null;
}

export interface SessionList {
  object: "list";
  data: ListedSession[];
  has_more: boolean;
  /** Pass as `cursor` for the next page (null: none). */
  next_cursor: string | null;
}

export interface ReceiptList {
  object: "list";
  data: SignedReceiptView[];
  has_more: boolean;
  next_cursor: string | null;
}

/** One asset's exposure: decimal strings of integer minor units. */
export interface AssetExposure {
  asset: string;
  /** The most every live session together could spend at once. */
  now: string;
  next_hour: string;
  next_day: string;
  next_week: string;
  until_expiry: string;
  /** The part of `now` that open holds and pending approvals reserve. */
  held: string;
  /** Some live tree has no budget in this asset that bounds it; the figures count only the bounded trees. */
  unbounded: boolean;
  unbounded_trees: string[];
}

export interface ExposureHolder {
  asset: string;
  session: string;
  tree: string;
  /** The most this session can spend now: the least remaining along its chain. */
  reach: string;
  agent_jkt: string;
  label: string | null;
  depth: number;
  expires_at: string;
  last_used_at: string | null;
}

export interface ExposureFinding {
  kind: "idle" | "long_lived" | "no_rate_limit" | "depth_exhausted" | "budgets_unused";
  description: string;
  count: number;
  /** Up to 100 of them. */
  sessions: string[];
}

export interface ExposureView {
  object: "exposure";
  as_of: string;
  trees: { total: number; live: number };
  assets: AssetExposure[];
  /** They overlap: siblings share their ancestors' caps. */
  holders: ExposureHolder[];
  holders_overlap: boolean;
  holders_note: string;
  findings: ExposureFinding[];
}

export interface BulkRevocation {
  object: "bulk_revocation";
  dry_run: boolean;
  count: number;
  /** Every session revoked (or that would be), descendants included. */
  ids: string[];
  /** Dry run: the exposure that would remain. */
  exposure: ExposureView | null;
}
