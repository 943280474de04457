/** The wire's limits, as plain TypeScript (see ../wire-types.ts). */
import type { Period } from "../../core/policy/periods";

export type { Period };

export interface Budget {
  asset: string;
  /** Decimal string of integer minor units. */
  amount: string;
  /** UTC calendar window; absent for the session's whole life. */
  period?: Period | undefined;
}

export interface RateLimit {
  requests: number;
  per_seconds: number;
}

/** Amounts strictly greater than `amount` in `asset` need approval. */
export interface ApprovalLine {
  asset: string;
  amount: string;
}

/** Actions over a line, or covered by `scopes`, wait for `approvers` people for up to `expires_in` seconds. */
export interface ApprovalPolicy {
  over: ApprovalLine[];
  scopes?: string[] | undefined;
  approvers?: number | undefined;
  expires_in?: number | undefined;
}

export interface Limits {
  calls?: number | undefined;
  rate?: RateLimit | undefined;
  budgets?: Budget[] | undefined;
  approval?: ApprovalPolicy | undefined;
}
