/**
 * The wire shapes of the Remit API (v1), as the service sends them: snake_case,
 * amounts as decimal strings of integer minor units, times as RFC 3339 strings.
 * Shapes the service defines itself are re-exported from it, so the SDK cannot
 * drift from what is sent.
 */
import type { ApiKeyView, PrincipalView } from "../../src/contract/principal";
import type { HoldView } from "../../src/contract/session-tree";
import type { AnchorView, AnchorViewStatus } from "../../src/contract/settlement";
import type { SessionView } from "../../src/contract/views";

export type { Receipt, ReceiptKind, SignedReceipt } from "../../src/core/receipts/receipt";
export type { ReceiptProof } from "../../src/core/receipts/period";
export type Hold = HoldView;
export type HoldStatus = HoldView["status"];
export type Principal = PrincipalView;
export type ApiKey = ApiKeyView;
import type { SignedReceipt } from "../../src/core/receipts/receipt";
import type { ReceiptProof } from "../../src/core/receipts/period";

/** An Ed25519 public key as a JWK. */
export interface PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
}

export type Period = "hour" | "day" | "week" | "month";

export interface Budget {
  asset: string;
  /** Decimal string of integer minor units. */
  amount: string;
  /** A UTC calendar window; absent for the session's whole life. */
  period?: Period;
}

export interface RateLimit {
  requests: number;
  per_seconds: number;
}

export interface Limits {
  calls?: number;
  rate?: RateLimit;
  budgets?: Budget[];
}

/** A session with its live counters, exactly as the service shapes it. */
export type Session = SessionView;
export type SessionStatus = SessionView["status"];
export type BudgetCounter = SessionView["counters"]["budgets"][number];

export interface SessionGrant {
  session: Session;
  token: string;
}

export interface SessionTree {
  session: Session;
  /** Every descendant, depth-first. */
  descendants: Session[];
}

export interface Revocation {
  session: string;
  revoked: number;
}

export interface Authorization {
  receipt: SignedReceipt;
  /** The session's counters after the action. */
  session: Session;
}

export interface SettledHold {
  hold: Hold;
  receipt: SignedReceipt;
}

export interface FreezeResult extends Principal {
  /** How many trees the switch reached. */
  trees: number;
}

export interface NewApiKey extends ApiKey {
  /** The secret key, shown once (absent on an idempotent replay). */
  api_key?: string;
}

/** A receipt proof once anchored: the inclusion proof plus where it is anchored. */
export interface AnchoredProof extends ReceiptProof {
  contract: string;
  chain_id: number;
  tx_hash: string;
  block_number: number;
}

/** A settlement period: its root, and the transaction that wrote it on chain once anchored. */
export type Anchor = AnchorView;
export type AnchorStatus = AnchorViewStatus;

/** outbox → ledger (received) → sealed (in a batch) → anchoring (in a period) → anchored */
export type ProofStage = "outbox" | "ledger" | "sealed" | "anchoring" | "anchored";

/** GET /v1/receipts/{id}/proof: how far the receipt is on its way to the chain; once anchored, its proof. */
export interface ReceiptProofResponse {
  object: "receipt_proof";
  id: string;
  status: "pending" | "anchored";
  stage: ProofStage;
  receipt: SignedReceipt;
  shard: number | null;
  batch: {
    shard: number;
    index: number;
    size: number;
    root: string;
    leaf_index: number;
    path: string[];
    sealed_at: string;
  } | null;
  anchor: Anchor | null;
  proof: AnchoredProof | null;
}

export interface Page<T> {
  data: T[];
  has_more?: boolean;
}

export type EventSelection = string[];

export interface WebhookEndpoint {
  id: string;
  object: "webhook_endpoint";
  url: string;
  events: EventSelection;
  description: string | null;
  disabled: boolean;
  created_at: string;
  updated_at: string;
  [member: string]: unknown;
}

/** An endpoint with its Standard Webhooks signing secret (`whsec_…`): returned on creation and rotation only. */
export interface WebhookEndpointWithSecret extends WebhookEndpoint {
  secret: string;
}

export interface DeletedWebhookEndpoint {
  id: string;
  object: "webhook_endpoint";
  deleted: true;
}

export interface WebhookAttempt {
  attempt: number;
  at: string;
  status_code: number | null;
  latency_ms: number;
  response_excerpt: string;
  error: string | null;
  next_attempt_at: string | null;
}

export interface WebhookDelivery {
  id: string;
  object: "webhook_delivery";
  /** The `webhook-id` header, the same on every attempt. */
  msg_id: string;
  endpoint: string;
  event_id: string;
  event_type: string;
  payload: unknown;
  status: "pending" | "succeeded" | "retrying" | "failed";
  attempts: number;
  next_attempt_at: string | null;
  /** Set when every attempt failed and the delivery went to the dead-letter queue. */
  dead_lettered_at: string | null;
  created_at: string;
  updated_at: string;
  attempt_log: WebhookAttempt[];
  [member: string]: unknown;
}

export interface Jwks {
  keys: Array<PublicJwk & { kid?: string; alg?: string; use?: string }>;
}
