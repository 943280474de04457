/** What crosses the edge ↔ Principal RPC boundary: key proofs, idempotency, views. */
import type { Outcome } from "../core/errors";
import type { EventData, EventType } from "../core/webhooks/events";
import type { SignedReceipt } from "../core/receipts/receipt";
import type { Grant, NewSession } from "./session-tree";
import type { ReceiptInOutbox } from "./settlement";
import type { SessionView } from "./views";
import type { AttemptInput, DeliveryJob, DeliveryView, EndpointInput, EndpointPatch, EndpointView, IngestResult, NewEndpointView } from "./webhooks";
import type { ApiKeyView, FreezeResult, PrincipalView } from "./wire/principal";
import type { ReceiptPage } from "./wire/receipts";
import type { Revocation, SessionTreeView } from "./wire/session";
import type { DeletedEndpoint, DeliveryPage } from "./wire/webhooks";

export type { ApiKeyView, PrincipalView } from "./wire/principal";

/** Proof of a principal's API key, as hashed at the edge. */
export interface KeyProof {
  keyId: string;
  secretHash: string;
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

