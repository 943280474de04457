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



/**
 * The Principal object's RPC surface (durable-objects/principal/index.ts implements it).
 * Principal calls on trees pass through here, so a route makes exactly one call.
 */
export interface PrincipalRpc extends Rpc.DurableObjectBranded {
  create(input: { id: string; name: string; maxSessionSeconds: number; secretHash: string; keyId: string; keyPrefix: string }): Outcome<PrincipalView>;
  authenticate(proof: KeyProof): Outcome<PrincipalView>;
  createApiKey(
    proof: KeyProof,
    idem: Idempotency | null,
    input: { label: string | null; secretHash: string; keyId: string; keyPrefix: string },
  ): Promise<PrincipalResult<ApiKeyView>>;
  listApiKeys(proof: KeyProof): Promise<PrincipalResult<ApiKeyView[]>>;
  revokeApiKey(proof: KeyProof, idem: Idempotency | null, keyId: string): Promise<PrincipalResult<ApiKeyView>>;
  grantSession(proof: KeyProof, idem: Idempotency | null, input: { session: NewSession; issuer: string }): Promise<PrincipalResult<Grant>>;
  getSession(proof: KeyProof, id: string): Promise<PrincipalResult<SessionView>>;
  getTree(proof: KeyProof, id: string): Promise<PrincipalResult<SessionTreeView>>;
  revokeSession(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<Revocation>>;
  listReceipts(
    proof: KeyProof,
    sessionId: string,
    page: { limit: number; startingAfter?: string },
  ): Promise<PrincipalResult<ReceiptPage>>;
  receipt(proof: KeyProof, id: string): Promise<PrincipalResult<SignedReceipt>>;
  receiptInOutbox(proof: KeyProof, id: string): Promise<PrincipalResult<ReceiptInOutbox>>;
  setFrozen(proof: KeyProof, idem: Idempotency | null, frozen: boolean): Promise<PrincipalResult<FreezeResult>>;
  createWebhookEndpoint(proof: KeyProof, idem: Idempotency | null, input: EndpointInput): Promise<PrincipalResult<NewEndpointView>>;
  listWebhookEndpoints(proof: KeyProof): Promise<PrincipalResult<EndpointView[]>>;
  getWebhookEndpoint(proof: KeyProof, id: string): Promise<PrincipalResult<EndpointView>>;
  updateWebhookEndpoint(proof: KeyProof, idem: Idempotency | null, id: string, patch: EndpointPatch): Promise<PrincipalResult<EndpointView>>;
  deleteWebhookEndpoint(
    proof: KeyProof,
    idem: Idempotency | null,
    id: string,
  ): Promise<PrincipalResult<DeletedEndpoint>>;
  rotateWebhookSecret(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<NewEndpointView>>;
  listWebhookDeliveries(
    proof: KeyProof,
    endpointId: string,
    options: { limit?: number; starting_after?: string },
  ): Promise<PrincipalResult<DeliveryPage>>;
  redeliverWebhook(proof: KeyProof, idem: Idempotency | null, deliveryId: string): Promise<PrincipalResult<DeliveryView>>;
  /** From this principal's trees (their events outbox). Idempotent by event id. */
  ingestEvents(events: unknown[]): Promise<IngestResult>;
  /**
   * An event of the principal's own (settlement notices): validated against the catalogue,
   * delivered once per (type, dedupeKey).
   */
  emitEvent<T extends EventType>(
    type: T,
    data: EventData<T>,
    dedupeKey?: string,
  ): Promise<Outcome<{ event: string; deliveries: number; duplicate: boolean }>>;
  webhookJob(deliveryId: string, now?: number): DeliveryJob | null;
  recordWebhookAttempt(deliveryId: string, attempt: AttemptInput): Promise<DeliveryView | null>;
  webhookDeadLettered(deliveryId: string): DeliveryView | null;
}
