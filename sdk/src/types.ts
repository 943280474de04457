/**
 * The wire shapes of the Remit API (v1), as the service sends them: snake_case,
 * amounts as decimal strings of integer minor units, times as RFC 3339 strings.
 * Shapes the service defines itself are re-exported from it, so the SDK cannot
 * drift from what is sent.
 */
import type { AnchorView, AnchorViewStatus, ApiKeyView, HoldView, PrincipalView, SessionView } from "../../src/contract/wire-types";

export type { ChargedWindow, Receipt, ReceiptKind, SignedReceipt } from "../../src/core/receipts/receipt";
export type { ReceiptProof } from "../../src/core/receipts/period";
export type Hold = HoldView;
export type HoldStatus = HoldView["status"];
export type Principal = PrincipalView;
export type ApiKey = ApiKeyView;
export type { Budget, Limits, Period, RateLimit } from "../../src/contract/wire-types";
export type { FreezeResult, NewApiKey } from "../../src/contract/wire-types";
export type { Authorization, Grant as SessionGrant, Revocation, SessionTreeView as SessionTree } from "../../src/contract/wire-types";
export type { SettledHold } from "../../src/contract/wire-types";
export type { AnchoredProof, ProofStage, ReceiptProofView as ReceiptProofResponse } from "../../src/contract/wire-types";
/**
 * The receipt-keys document (`/.well-known/receipt-keys.json`): every key that ever
 * signed a receipt, newest first, with when the service registered it (`signing_from`)
 * and when a newer key did (`signing_until`, null for the current one). A `Jwks`, so
 * `verifyReceipt` takes it as it is.
 */
export type { ReceiptKeys as ReceiptKeySet } from "../../src/contract/wire-types";
export type { EventEnvelope as RemitEvent, EventPage, EventType } from "../../src/contract/wire-types";
export type {
  AttemptView as WebhookAttempt,
  DeletedEndpoint as DeletedWebhookEndpoint,
  DeliveryView as WebhookDelivery,
  EndpointView as WebhookEndpoint,
  NewEndpointView as WebhookEndpointWithSecret,
} from "../../src/contract/wire-types";

/** An Ed25519 public key as a JWK. */
export interface PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
}

/** A session with its live counters, exactly as the service shapes it. */
export type Session = SessionView;
export type SessionStatus = SessionView["status"];
export type BudgetCounter = SessionView["counters"]["budgets"][number];

/** A settlement period: its root, and the transaction that wrote it on chain once anchored. */
export type Anchor = AnchorView;
export type AnchorStatus = AnchorViewStatus;

export interface Page<T> {
  data: T[];
  has_more?: boolean;
}

export type EventSelection = string[];

/**
 * What `verifyReceipt` accepts as a key set: looser than the served one (the contract's
 * `Jwks`, which always carries kid, alg and use), so keys from elsewhere fit too.
 */
export interface Jwks {
  keys: Array<PublicJwk & { kid?: string; alg?: string; use?: string }>;
}
