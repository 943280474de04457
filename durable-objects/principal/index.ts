/**
 * One object per principal, and its RPC surface: its API keys (hashes only,
 * api-keys.ts), the index of its trees (trees.ts), its freeze switch (freeze.ts),
 * idempotency of principal calls (idempotency.ts) and its webhooks (webhooks.ts).
 * Principal operations on trees pass through here, so a route makes exactly one
 * call; each method authenticates and hands over to the file of its concept.
 *
 * An object without storage (nobody created this principal) is written only by
 * `create`: every other call answers as for an unknown principal and writes nothing,
 * so made-up principal ids cannot grow storage.
 */
import { DurableObject } from "cloudflare:workers";
import type { PrincipalRpc } from "../../src/contract/rpc";
import type { Env } from "../../src/contract/env";
import type { ApiKeyView, DashboardSessionView, Idempotency, KeyProof, PrincipalResult, PrincipalView } from "../../src/contract/principal";
import type { Grant, NewSession } from "../../src/contract/session-tree";
import type { ReceiptInOutbox } from "../../src/contract/settlement";
import type { SessionView } from "../../src/contract/views";
import type { SessionTreeView, TreePage } from "../../src/contract/wire/session";
import { ok, problem, refused, type Outcome } from "../../src/core/errors";
import type { ListCursor, ReceiptFilter, SessionFilter } from "../../src/contract/governance";
import type { BulkRevocation, ExposureView, ReceiptList, SessionList } from "../../src/contract/wire/governance";
import type { Revocation } from "../../src/contract/wire/session";
import { combineExposure, treeExposures } from "./exposure";
import * as governance from "./listing";
import type { SignedReceipt } from "../../src/core/receipts/receipt";
import type { EventData, EventType } from "../../src/core/webhooks/events";
import type { ApprovalPage, ApprovalStatus, ApprovalView } from "../../src/contract/wire/approvals";
import type { EventBatch, EventPoll, EventQuery } from "../../src/contract/events";
import type { EventEnvelope, EventPage } from "../../src/contract/wire-types";
import * as apiKeys from "./api-keys";
import * as eventLog from "./events";
import * as approvals from "./approvals";
import * as dashboard from "./dashboard-sessions";
import { setFrozen } from "./freeze";
import { once } from "./idempotency";
import { createPrincipal, principalRow, principalView } from "./profile";
import { hasPrincipalTables, migrate } from "./schema";
import { grantSession, indexedTree, indexLeasedTree } from "./trees";
import * as tripwires from "./tripwires";
import { migrateTripwires } from "./tripwires";
import type { TripwireFields } from "../../src/core/policy/tripwires";
import type { DeletedTripwire, TripwireChange, TripwireReset, TripwireView } from "../../src/contract/wire-types";
import type { AttemptInput, DeliveryJob, EndpointInput, EndpointPatch } from "./webhook-store";
import { PrincipalWebhooks, type DeliveryView, type EndpointView, type IngestResult, type NewEndpointView } from "./webhooks";
export type { KeyProof, Idempotency, PrincipalResult, PrincipalView, ApiKeyView } from "../../src/contract/principal";

const noSession = (id: string) => refused<never>(problem("not-found", `no session ${id}`));
const noReceipt = (id: string) => refused<never>(problem("not-found", `no receipt ${id}`));

export class Principal extends DurableObject<Env> implements PrincipalRpc {
  private readonly sql: SqlStorage;
  /** Set once the tables exist (on start for a stored principal, else by `create`). */
  private stored: PrincipalWebhooks | null = null;
  /** Freezes and unfreezes one at a time, fan-out included (freeze.ts). */
  private freezes: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      if (hasPrincipalTables(this.sql)) this.store();
    });
  }

  /** Creates (or brings up to date) the tables, the webhooks' included. */
  private store(): PrincipalWebhooks {
    if (!this.stored) {
      migrate(this.sql);
      approvals.migrateRoles(this.sql);
      dashboard.migrateDashboardSessions(this.sql);
      migrateTripwires(this.sql);
      this.stored = new PrincipalWebhooks(this.ctx, this.env, () => principalRow(this.sql)?.id ?? null);
    }
    return this.stored;
  }

  /** Only called once the principal is known to exist (authenticated, or `stored` checked). */
  private get webhooks(): PrincipalWebhooks {
    if (!this.stored) throw new Error("the principal has no storage");
    return this.stored;
  }

  // ---------------------------------------------------------------- operator

  /** Creates the principal and its first key; the secret is returned once and only its hash is kept. */
  create(input: { id: string; name: string; maxSessionSeconds: number; secretHash: string; keyId: string; keyPrefix: string }): Outcome<PrincipalView> {
    this.store();
    return createPrincipal(this.ctx.storage, input);
  }

  // ---------------------------------------------------------------- authentication and API keys

  authenticate(proof: KeyProof): Outcome<PrincipalView> {
    if (!this.stored) return refused(problem("unauthenticated", "the API key is not valid"));
    return apiKeys.authenticate(this.sql, proof);
  }

  createApiKey(
    proof: KeyProof,
    idem: Idempotency | null,
    input: { label: string | null; secretHash: string; keyId: string; keyPrefix: string; role?: ApiKeyView["role"] },
  ): Promise<PrincipalResult<ApiKeyView>> {
    return this.authenticated(proof, idem, () => apiKeys.createApiKey(this.sql, input));
  }

  listApiKeys(proof: KeyProof): Promise<PrincipalResult<ApiKeyView[]>> {
    return this.authenticated(proof, null, () => apiKeys.listApiKeys(this.sql));
  }

  revokeApiKey(proof: KeyProof, idem: Idempotency | null, keyId: string): Promise<PrincipalResult<ApiKeyView>> {
    return this.authenticated(proof, idem, () => apiKeys.revokeApiKey(this.sql, keyId));
  }

  // ---------------------------------------------------------------- dashboard sign-ins (./dashboard-sessions.ts)

  /** Signs in with the key of `proof` (any role): a row for the cookie's secret hash, 12 h at most (the edge sets `expiresAt`). */
  openDashboardSession(proof: KeyProof, input: { idHash: string; csrf: string; expiresAt: number }): Promise<PrincipalResult<DashboardSessionView>> {
    // Only the key's secret opens a sign-in: a sign-in never extends itself.
    const signIn: KeyProof = { keyId: proof.keyId, secretHash: proof.secretHash, need: "read" };
    return this.authenticated(signIn, null, () => {
      const opened = dashboard.openSignIn(this.sql, proof.keyId, input, Date.now());
      if (!opened.ok) return opened;
      return this.dashboardView({ ...signIn, dashboard: input.idHash });
    });
  }

  /** The sign-in that `proof.dashboard` names, while it lives. */
  dashboardSession(proof: KeyProof): Promise<PrincipalResult<DashboardSessionView>> {
    return this.authenticated({ ...proof, need: "read" }, null, () => this.dashboardView(proof));
  }

  /** Sign-out. */
  closeDashboardSession(proof: KeyProof): Promise<PrincipalResult<{ signed_out: true }>> {
    return this.authenticated({ ...proof, need: "read" }, null, () => dashboard.closeSignIn(this.sql, proof.dashboard ?? ""));
  }

  private dashboardView(proof: KeyProof): Outcome<DashboardSessionView> {
    const row = dashboard.signInRow(this.sql, proof.dashboard!);
    return ok({ principal: principalView(this.sql)!, key: apiKeys.keyView(this.sql, proof.keyId)!, ...row });
  }

  // ---------------------------------------------------------------- sessions

  grantSession(proof: KeyProof, idem: Idempotency | null, input: { session: NewSession; issuer: string }): Promise<PrincipalResult<Grant>> {
    return this.authenticated(proof, idem, () =>
      grantSession(this.sql, this.env, { ...input, tripwires: tripwires.tripwireSet(this.sql) }, (fn) => this.oneFreezeAtATime(fn)),
    );
  }

  getSession(proof: KeyProof, id: string): Promise<PrincipalResult<SessionView>> {
    return this.authenticated(proof, null, async (): Promise<Outcome<SessionView>> => (await this.tree(id)?.getSession(this.id, id)) ?? noSession(id));
  }

  getTree(proof: KeyProof, id: string, page?: TreePage): Promise<PrincipalResult<SessionTreeView>> {
    return this.authenticated(proof, null, async (): Promise<Outcome<SessionTreeView>> => (await this.tree(id)?.getTree(this.id, id, page)) ?? noSession(id));
  }

  revokeSession(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<Revocation>> {
    return this.authenticated(proof, idem, async (): Promise<Outcome<Revocation>> => (await this.tree(id)?.revoke(this.id, id)) ?? noSession(id));
  }

  listReceipts(
    proof: KeyProof,
    sessionId: string,
    page: { limit: number; startingAfter?: string },
  ): Promise<PrincipalResult<{ data: SignedReceipt[]; has_more: boolean }>> {
    return this.authenticated(
      proof,
      null,
      async (): Promise<Outcome<{ data: SignedReceipt[]; has_more: boolean }>> =>
        (await this.tree(sessionId)?.listReceipts(this.id, sessionId, page)) ?? noSession(sessionId),
    );
  }

  receipt(proof: KeyProof, id: string): Promise<PrincipalResult<SignedReceipt>> {
    return this.authenticated(proof, null, async (): Promise<Outcome<SignedReceipt>> => (await this.tree(id)?.receipt({ principal: this.id }, id)) ?? noReceipt(id));
  }

  /** The receipt and its outbox state, for its proof (src/settlement/receipt-proof.ts assembles the rest). */
  receiptInOutbox(proof: KeyProof, id: string): Promise<PrincipalResult<ReceiptInOutbox>> {
    return this.authenticated(
      proof,
      null,
      async (): Promise<Outcome<ReceiptInOutbox>> => (await this.tree(id)?.receiptInOutbox({ principal: this.id }, id)) ?? noReceipt(id),
    );
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
    return this.authenticated(proof, idem, async (): Promise<Outcome<SessionView>> => (await this.tree(id)?.setSessionFrozen(this.id, id, frozen)) ?? noSession(id));
  }

  /** The kill switch: returns once every tree has the flag, so nothing under the principal succeeds after it. */
  setFrozen(proof: KeyProof, idem: Idempotency | null, frozen: boolean): Promise<PrincipalResult<PrincipalView & { trees: number }>> {
    return this.authenticated(proof, idem, () => this.oneFreezeAtATime(() => setFrozen(this.sql, this.env, this.webhooks, frozen)));
  }

  // ---------------------------------------------------------------- approvals (./approvals.ts)

  listApprovals(proof: KeyProof, query: { status?: ApprovalStatus; limit: number; startingAfter?: string }): Promise<PrincipalResult<ApprovalPage>> {
    return this.authenticated(proof, null, () => approvals.listApprovals(this.sql, this.env, this.id, query));
  }

  getApproval(proof: KeyProof, id: string): Promise<PrincipalResult<ApprovalView>> {
    return this.authenticated(proof, null, () => approvals.getApproval(this.env, this.id, id));
  }

  /** A vote or a denial by the calling key (its id is the vote's name: one per key). */
  decideApproval(
    proof: KeyProof,
    idem: Idempotency | null,
    id: string,
    decision: { verdict: "approve" | "deny"; text: string | null },
  ): Promise<PrincipalResult<ApprovalView>> {
    return this.authenticated(proof, idem, () => approvals.decideApproval(this.env, this.id, proof.keyId, id, decision));
  }

  // ---------------------------------------------------------------- trip-wires (./tripwires.ts)

  createTripwire(proof: KeyProof, idem: Idempotency | null, fields: TripwireFields): Promise<PrincipalResult<TripwireChange>> {
    return this.authenticated(proof, idem, () => tripwires.createTripwire(this.sql, this.env, fields));
  }

  listTripwires(proof: KeyProof): Promise<PrincipalResult<{ data: TripwireView[] }>> {
    return this.authenticated(proof, null, () => tripwires.listTripwires(this.sql));
  }

  getTripwire(proof: KeyProof, id: string): Promise<PrincipalResult<TripwireView>> {
    return this.authenticated(proof, null, () => tripwires.getTripwire(this.sql, id));
  }

  updateTripwire(proof: KeyProof, idem: Idempotency | null, id: string, patch: Partial<TripwireFields>): Promise<PrincipalResult<TripwireChange>> {
    return this.authenticated(proof, idem, () => tripwires.updateTripwire(this.sql, this.env, id, patch));
  }

  deleteTripwire(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<DeletedTripwire>> {
    return this.authenticated(proof, idem, () => tripwires.deleteTripwire(this.sql, this.env, id));
  }

  resetTripwire(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<TripwireReset>> {
    return this.authenticated(proof, idem, () => tripwires.resetTripwire(this.sql, this.env, id));
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

  // ---------------------------------------------------------------- the event log (./events.ts)

  listEvents(proof: KeyProof, query: EventQuery): Promise<PrincipalResult<EventPage>> {
    return this.authenticated(proof, null, () => eventLog.listEvents(this.sql, query, Date.now()));
  }

  getEvent(proof: KeyProof, id: string): Promise<PrincipalResult<EventEnvelope>> {
    return this.authenticated(proof, null, () => eventLog.getEvent(this.sql, id, Date.now()));
  }

  /** One poll of `GET /v1/events/stream`: authenticated every time, so a revoked key stops its stream. */
  pollEvents(proof: KeyProof, poll: EventPoll): Promise<PrincipalResult<EventBatch>> {
    return this.authenticated(proof, null, () => ok(eventLog.eventsAfter(this.sql, poll, Date.now())));
  }

  /** A tree object placed by one of this principal's trees for a hot subtree (./trees.ts). */
  indexLeasedTree(input: { tree: string; root: string; parentTree: string; createdAt: number; expiresAt: number }): void {
    if (this.stored) indexLeasedTree(this.sql, input);
  }

  /** From this principal's trees: their events outbox, drained on the tree's alarm. Idempotent by event id. */
  async ingestEvents(events: unknown[]): Promise<IngestResult> {
    if (!this.stored) {
      console.error(`webhooks: ${events.length} events for a principal that does not exist, dropped`);
      return { accepted: 0, duplicates: 0, deliveries: 0 };
    }
    const ingested = await this.webhooks.ingest(events);
    // A tree's freeze_principal trip-wire tripped: the principal freezes itself (./tripwires.ts).
    if (tripwires.principalTripped(this.sql, events))
      void this.oneFreezeAtATime(() => setFrozen(this.sql, this.env, this.webhooks, true)).catch((e) => console.error("tripwires: the principal's freeze failed", e));
    return ingested;
  }

  /**
   * Record and deliver an event of this principal from elsewhere in the service (the
   * settlement engine's `settlement.anchored` / `settlement.failed`). `data` must match
   * the catalogue (src/core/webhooks/events.ts) or the outcome is `validation-failed`;
   * the same `dedupeKey` (e.g. the period) with the same type delivers once.
   */
  emitEvent<T extends EventType>(type: T, data: EventData<T>, dedupeKey?: string) {
    if (!this.stored) return Promise.resolve(refused<never>(problem("not-found", "the principal does not exist")));
    return this.webhooks.emit(type, data, dedupeKey);
  }

  /** The queue consumer's view of one delivery; null when there is nothing to send. */
  webhookJob(deliveryId: string, now?: number): DeliveryJob | null {
    if (!this.stored) return null;
    return this.webhooks.job(deliveryId, now);
  }

  async recordWebhookAttempt(deliveryId: string, attempt: AttemptInput): Promise<DeliveryView | null> {
    if (!this.stored) return null;
    return this.webhooks.recordAttempt(deliveryId, attempt);
  }

  /** The delivery's message reached the dead-letter queue. */
  webhookDeadLettered(deliveryId: string): DeliveryView | null {
    if (!this.stored) return null;
    return this.webhooks.deadLettered(deliveryId);
  }

  /** Webhook sweeper: re-enqueues deliveries whose queue message was lost. */
  override async alarm(): Promise<void> {
    if (!this.stored) return;
    await this.webhooks.sweep();
  }

  // ---------------------------------------------------------------- internals

  private get id(): string {
    return principalRow(this.sql)!.id;
  }

  /** The object of the tree holding `anyIdInTree` if it is one of this principal's trees; else null, and no tree object is reached. */
  private tree(anyIdInTree: string) {
    return indexedTree(this.sql, this.env, anyIdInTree);
  }

  /**
   * Runs freezes, unfreezes and a new tree's catching up with the flag one at a time, so
   * their fan-outs to the trees never interleave: the flag that is set last is the one
   * every tree ends with, and each call answers the state it left (freeze.ts).
   */
  private oneFreezeAtATime<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.freezes.then(fn, fn);
    this.freezes = run.catch(() => undefined);
    return run;
  }

  /** Authenticates, then runs `fn` at most once per Idempotency-Key (idempotency.ts). */
  private async authenticated<T>(proof: KeyProof, idem: Idempotency | null, fn: () => Outcome<T> | Promise<Outcome<T>>): Promise<PrincipalResult<T>> {
    const auth = this.authenticate(proof);
    if (!auth.ok) return { outcome: auth };
    // Roles are enforced here and only here: the route said what it needs (src/core/auth/roles.ts).
    const forbidden = approvals.roleRefusal(this.sql, proof);
    if (forbidden) return { outcome: forbidden };
    return once(this.sql, idem, fn);
  }
}
