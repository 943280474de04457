/**
 * One object per principal, and its RPC surface: its API keys (hashes only,
 * api-keys.ts), the index of its trees (trees.ts), its freeze switch (freeze.ts),
 * idempotency of principal calls (idempotency.ts) and its webhooks (webhooks.ts).
 * Principal operations on trees pass through here, so a route makes exactly one
 * call; each method authenticates and hands over to the file of its concept.
 */
import { DurableObject } from "cloudflare:workers";
import type { PrincipalRpc } from "../../src/contract/rpc";
import type { Env } from "../../src/contract/env";
import type { ApiKeyView, Idempotency, KeyProof, PrincipalResult, PrincipalView } from "../../src/contract/principal";
import type { Grant, NewSession } from "../../src/contract/session-tree";
import type { ReceiptInOutbox } from "../../src/contract/settlement";
import type { SessionView } from "../../src/contract/views";
import { ok, type Outcome } from "../../src/core/errors";
import type { ListCursor, ReceiptFilter, SessionFilter } from "../../src/contract/governance";
import type { BulkRevocation, ExposureView, ReceiptList, SessionList } from "../../src/contract/wire/governance";
import { combineExposure, treeExposures } from "./exposure";
import * as governance from "./listing";
import type { SignedReceipt } from "../../src/core/receipts/receipt";
import type { EventData, EventType } from "../../src/core/webhooks/events";
import * as apiKeys from "./api-keys";
import { setFrozen } from "./freeze";
import { once } from "./idempotency";
import { createPrincipal, principalRow } from "./profile";
import { migrate } from "./schema";
import { grantSession, treeStub } from "./trees";
import type { AttemptInput, DeliveryJob, EndpointInput, EndpointPatch } from "./webhook-store";
import { PrincipalWebhooks, type DeliveryView, type EndpointView, type IngestResult, type NewEndpointView } from "./webhooks";
export type { KeyProof, Idempotency, PrincipalResult, PrincipalView, ApiKeyView } from "../../src/contract/principal";

export class Principal extends DurableObject<Env> implements PrincipalRpc {
  private readonly sql: SqlStorage;
  private readonly webhooks: PrincipalWebhooks;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(this.sql));
    this.webhooks = new PrincipalWebhooks(ctx, env, () => principalRow(this.sql)?.id ?? null);
  }

  // ---------------------------------------------------------------- operator

  /** Creates the principal and its first key; the secret is returned once and only its hash is kept. */
  create(input: { id: string; name: string; maxSessionSeconds: number; secretHash: string; keyId: string; keyPrefix: string }): Outcome<PrincipalView> {
    return createPrincipal(this.ctx.storage, input);
  }

  // ---------------------------------------------------------------- authentication and API keys

  authenticate(proof: KeyProof): Outcome<PrincipalView> {
    return apiKeys.authenticate(this.sql, proof);
  }

  createApiKey(
    proof: KeyProof,
    idem: Idempotency | null,
    input: { label: string | null; secretHash: string; keyId: string; keyPrefix: string },
  ): Promise<PrincipalResult<ApiKeyView>> {
    return this.authenticated(proof, idem, () => apiKeys.createApiKey(this.sql, input));
  }

  listApiKeys(proof: KeyProof): Promise<PrincipalResult<ApiKeyView[]>> {
    return this.authenticated(proof, null, () => apiKeys.listApiKeys(this.sql));
  }

  revokeApiKey(proof: KeyProof, idem: Idempotency | null, keyId: string): Promise<PrincipalResult<ApiKeyView>> {
    return this.authenticated(proof, idem, () => apiKeys.revokeApiKey(this.sql, keyId));
  }

  // ---------------------------------------------------------------- sessions

  grantSession(proof: KeyProof, idem: Idempotency | null, input: { session: NewSession; issuer: string }): Promise<PrincipalResult<Grant>> {
    return this.authenticated(proof, idem, () => grantSession(this.sql, this.env, input));
  }

  getSession(proof: KeyProof, id: string): Promise<PrincipalResult<SessionView>> {
    return this.authenticated(proof, null, async (): Promise<Outcome<SessionView>> => this.tree(id).getSession(this.id, id));
  }

  getTree(proof: KeyProof, id: string): Promise<PrincipalResult<{ session: SessionView; descendants: SessionView[] }>> {
    return this.authenticated(proof, null, async () => this.tree(id).getTree(this.id, id));
  }

  revokeSession(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<{ revoked: number; session: string }>> {
    return this.authenticated(proof, idem, async () => this.tree(id).revoke(this.id, id));
  }

  listReceipts(
    proof: KeyProof,
    sessionId: string,
    page: { limit: number; startingAfter?: string },
  ): Promise<PrincipalResult<{ data: SignedReceipt[]; has_more: boolean }>> {
    return this.authenticated(proof, null, async () => this.tree(sessionId).listReceipts(this.id, sessionId, page));
  }

  receipt(proof: KeyProof, id: string): Promise<PrincipalResult<SignedReceipt>> {
    return this.authenticated(proof, null, async (): Promise<Outcome<SignedReceipt>> => this.tree(id).receipt({ principal: this.id }, id));
  }

  /** The receipt and its outbox state, for its proof (src/settlement/receipt-proof.ts assembles the rest). */
  receiptInOutbox(proof: KeyProof, id: string): Promise<PrincipalResult<ReceiptInOutbox>> {
    return this.authenticated(proof, null, async (): Promise<Outcome<ReceiptInOutbox>> => this.tree(id).receiptInOutbox({ principal: this.id }, id));
  }

  // ---------------------------------------------------------------- governance (./listing.ts, ./exposure.ts)

  listAllSessions(proof: KeyProof, filter: SessionFilter, page: { limit: number; before?: ListCursor }): Promise<PrincipalResult<SessionList>> {
    return this.authenticated(proof, null, () => governance.listSessions(this.sql, this.env, this.id, filter, page));
  }

  listAllReceipts(proof: KeyProof, filter: ReceiptFilter, page: { limit: number; before?: ListCursor }): Promise<PrincipalResult<ReceiptList>> {
    return this.authenticated(proof, null, () => governance.listReceipts(this.sql, this.env, this.id, filter, page));
  }

  exposure(proof: KeyProof): Promise<PrincipalResult<ExposureView>> {
    return this.authenticated(proof, null, async () => ok(combineExposure(await treeExposures(this.sql, this.env, this.id), Date.now())));
  }

  revokeSessions(proof: KeyProof, idem: Idempotency | null, filter: SessionFilter, dryRun: boolean): Promise<PrincipalResult<BulkRevocation>> {
    return this.authenticated(proof, idem, () => governance.revokeSessions(this.sql, this.env, this.id, filter, dryRun));
  }

  setSessionFrozen(proof: KeyProof, idem: Idempotency | null, id: string, frozen: boolean): Promise<PrincipalResult<SessionView>> {
    return this.authenticated(proof, idem, async () => this.tree(id).setSessionFrozen(this.id, id, frozen));
  }

  /** The kill switch: returns once every tree has the flag, so nothing under the principal succeeds after it. */
  setFrozen(proof: KeyProof, idem: Idempotency | null, frozen: boolean): Promise<PrincipalResult<PrincipalView & { trees: number }>> {
    return this.authenticated(proof, idem, () => setFrozen(this.sql, this.env, this.webhooks, frozen));
  }

  // ---------------------------------------------------------------- webhooks (./webhooks.ts)

  createWebhookEndpoint(proof: KeyProof, idem: Idempotency | null, input: EndpointInput): Promise<PrincipalResult<NewEndpointView>> {
    return this.authenticated(proof, idem, () => this.webhooks.createEndpoint(input));
  }

  listWebhookEndpoints(proof: KeyProof): Promise<PrincipalResult<EndpointView[]>> {
    return this.authenticated(proof, null, () => this.webhooks.listEndpoints());
  }

  getWebhookEndpoint(proof: KeyProof, id: string): Promise<PrincipalResult<EndpointView>> {
    return this.authenticated(proof, null, () => this.webhooks.getEndpoint(id));
  }

  updateWebhookEndpoint(proof: KeyProof, idem: Idempotency | null, id: string, patch: EndpointPatch): Promise<PrincipalResult<EndpointView>> {
    return this.authenticated(proof, idem, () => this.webhooks.updateEndpoint(id, patch));
  }

  deleteWebhookEndpoint(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<{ id: string; object: "webhook_endpoint"; deleted: true }>> {
    return this.authenticated(proof, idem, () => this.webhooks.deleteEndpoint(id));
  }

  rotateWebhookSecret(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<NewEndpointView>> {
    return this.authenticated(proof, idem, () => this.webhooks.rotateSecret(id));
  }

  listWebhookDeliveries(
    proof: KeyProof,
    endpointId: string,
    options: { limit?: number; starting_after?: string },
  ): Promise<PrincipalResult<{ data: DeliveryView[]; has_more: boolean }>> {
    return this.authenticated(proof, null, () => this.webhooks.listDeliveries(endpointId, options));
  }

  redeliverWebhook(proof: KeyProof, idem: Idempotency | null, deliveryId: string): Promise<PrincipalResult<DeliveryView>> {
    return this.authenticated(proof, idem, () => this.webhooks.redeliver(deliveryId));
  }

  /** From this principal's trees: their events outbox, drained on the tree's alarm. Idempotent by event id. */
  ingestEvents(events: unknown[]): Promise<IngestResult> {
    return this.webhooks.ingest(events);
  }

  /**
   * Record and deliver an event of this principal from elsewhere in the service (the
   * settlement engine's `settlement.anchored` / `settlement.failed`). `data` must match
   * the catalogue (src/core/webhooks/events.ts) or the outcome is `validation-failed`;
   * the same `dedupeKey` (e.g. the period) with the same type delivers once.
   */
  emitEvent<T extends EventType>(type: T, data: EventData<T>, dedupeKey?: string) {
    return this.webhooks.emit(type, data, dedupeKey);
  }

  /** The queue consumer's view of one delivery; null when there is nothing to send. */
  webhookJob(deliveryId: string, now?: number): DeliveryJob | null {
    return this.webhooks.job(deliveryId, now);
  }

  recordWebhookAttempt(deliveryId: string, attempt: AttemptInput): Promise<DeliveryView | null> {
    return this.webhooks.recordAttempt(deliveryId, attempt);
  }

  /** The delivery's message reached the dead-letter queue. */
  webhookDeadLettered(deliveryId: string): DeliveryView | null {
    return this.webhooks.deadLettered(deliveryId);
  }

  /** Webhook sweeper: re-enqueues deliveries whose queue message was lost. */
  override async alarm(): Promise<void> {
    await this.webhooks.sweep();
  }

  // ---------------------------------------------------------------- internals

  private get id(): string {
    return principalRow(this.sql)!.id;
  }

  private tree(anyIdInTree: string) {
    return treeStub(this.env, anyIdInTree);
  }

  /** Authenticates, then runs `fn` at most once per Idempotency-Key (idempotency.ts). */
  private async authenticated<T>(proof: KeyProof, idem: Idempotency | null, fn: () => Outcome<T> | Promise<Outcome<T>>): Promise<PrincipalResult<T>> {
    const auth = this.authenticate(proof);
    if (!auth.ok) return { outcome: auth };
    return once(this.sql, idem, fn);
  }
}
