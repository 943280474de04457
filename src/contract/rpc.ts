/**
 * The Durable Objects' RPC surfaces, one interface per class. Kept apart from the wire
 * types because they are Workers-only (`Rpc.DurableObjectBranded`): the edge's `Env`
 * and the objects need them, the SDK never does.
 */
import type { ReceiptKeyInput, ReceiptKeyRecord, ReceiptKeyRegistration } from "../core/auth/service-keys";
import type { Outcome } from "../core/errors";
import type { SignedReceipt } from "../core/receipts/receipt";
import type { EventData, EventType } from "../core/webhooks/events";
import type { ListCursor, ListedSession, ReceiptFilter, SessionFilter, TreeExposure } from "./governance";
import type { DashboardSessionView, Idempotency, KeyProof, PrincipalResult } from "./principal";
import type { BulkRevocation, ExposureView, ReceiptList, SessionList } from "./wire/governance";
import type {
  AgentCall,
  AgentResult,
  AuthorizeInput,
  ChildRequest,
  HoldInput,
  LeaseAsk,
  LeaseGrant,
  LeaseOffer,
  LeaseRefusal,
  NewSession,
  ReceiptCaller,
  SliceReport,
} from "./session-tree";
import type { AppendResult, BatchInPeriod, LedgerEntry, LedgerLocation, ReceiptInOutbox, SealedBatch } from "./settlement";
import type { SessionView } from "./views";
import type { AttemptInput, DeliveryJob, DeliveryView, EndpointInput, EndpointPatch, EndpointView, IngestResult, NewEndpointView } from "./webhooks";
import type {
  AnchorList,
  AnchorView,
  ApiKeyView,
  Authorization,
  DeletedEndpoint,
  DeliveryPage,
  FreezeResult,
  Grant,
  HoldView,
  PrincipalView,
  ReceiptPage,
  Revocation,
  RunTrigger,
  SessionTreeView,
  SettledHold,
  SettlementRun,
  SettlementStatus,
  ShardStats,
} from "./wire-types";
import type { TreePage } from "./wire/session";
import type { EventBatch, EventPoll, EventQuery } from "./events";
import type { EventEnvelope, EventPage } from "./wire-types";
import type { ApprovalPage, ApprovalStatus, ApprovalView, PendingApproval } from "./wire/approvals";
import type { TripwireFields, TripwireSet } from "../core/policy/tripwires";
import type { DeletedTripwire, TripwireChange, TripwireList, TripwireReset, TripwireView } from "./wire-types";

/**
 * The SessionTree object's RPC surface (durable-objects/session-tree/index.ts implements it).
 * Every method is one synchronous decision inside the object.
 */
export interface SessionTreeRpc extends Rpc.DurableObjectBranded {
  createRoot(input: { tree: string; principal: string; issuer: string; session: NewSession; tripwires?: TripwireSet }): Outcome<Grant>;
  getSession(principal: string, id: string): Outcome<SessionView>;
  getTree(principal: string, id: string, page?: TreePage): Outcome<SessionTreeView>;
  revoke(principal: string, id: string): Promise<Outcome<Revocation>>;
  setFrozen(frozen: boolean): void;
  /** The principal's trip-wires (durable-objects/session-tree/tripwires.ts); an older version than the tree's changes nothing. */
  setTripwires(set: TripwireSet): { version: number };
  resetTripwire(ruleId: string): { cleared: number };
  receipt(caller: ReceiptCaller, id: string): Outcome<SignedReceipt>;
  listReceipts(principal: string, sessionId: string, page: { limit: number; startingAfter?: string }): Outcome<ReceiptPage>;
  receiptForAgent(call: AgentCall, id: string): AgentResult<SignedReceipt>;
  receiptInOutbox(caller: ReceiptCaller, id: string): Outcome<ReceiptInOutbox>;
  receiptInOutboxForAgent(call: AgentCall, id: string): AgentResult<ReceiptInOutbox>;
  // In an object placed under a budget lease these first renew or refill the lease (a promise); elsewhere they decide at once.
  introspect(call: AgentCall): MaybePromise<AgentResult<SessionView>>;
  delegate(call: AgentCall, request: ChildRequest): Promise<AgentResult<Grant>>;
  authorize(call: AgentCall, input: AuthorizeInput): MaybePromise<AgentResult<Authorization | PendingApproval>>;
  hold(call: AgentCall, input: HoldInput): MaybePromise<AgentResult<HoldView | PendingApproval>>;
  capture(call: AgentCall, holdId: string, amount?: string): MaybePromise<AgentResult<SettledHold>>;
  void(call: AgentCall, holdId: string): AgentResult<SettledHold>;
  approvalForPrincipal(principal: string, id: string): Outcome<ApprovalView>;
  listApprovals(principal: string, query: { status?: ApprovalStatus; before?: { createdAt: number; id: string }; limit: number }): ApprovalView[];
  decideApproval(principal: string, id: string, decision: ApprovalDecision): Outcome<ApprovalView>;
  approvalForAgent(call: AgentCall, id: string): AgentResult<ApprovalView>;
  approvalForSession(session: string, id: string): Outcome<ApprovalView>;
  cancelApproval(call: AgentCall, id: string): AgentResult<ApprovalView>;
  // Governance (durable-objects/session-tree/listing.ts, exposure-inputs.ts, session-switch.ts).
  // A listing in two phases: the keys (created_at, id) of the first `limit` matches before the
  // cursor, then the full entries of only the ids the principal kept for its page.
  sessionKeys(principal: string, filter: SessionFilter, page: { limit: number; before?: ListCursor }): ListCursor[];
  sessionsByIds(principal: string, filter: SessionFilter, ids: string[]): ListedSession[];
  receiptKeys(principal: string, filter: ReceiptFilter, page: { limit: number; before?: ListCursor }): ListCursor[];
  receiptsByIds(principal: string, ids: string[]): SignedReceipt[];
  exposure(principal: string, opts: { holders?: number; findings?: number }): TreeExposure | null;
  revokeMatching(principal: string, filter: SessionFilter, dryRun: boolean): Promise<{ ids: string[]; exposure: TreeExposure | null; pending?: string[] }>;
  setSessionFrozen(principal: string, id: string, frozen: boolean): Promise<Outcome<SessionView>>;
  revokeSelf(call: AgentCall): Promise<AgentResult<Revocation>>;
  // Budget leases between tree objects (durable-objects/session-tree/lease-*.ts).
  leaseRefill(child: string, ask: LeaseAsk): Promise<LeaseAnswer>;
  leaseReport(child: string, report: SliceReport[], end?: { revokedBy: string }): void;
  openLease(offer: LeaseOffer): void;
  settleLease(grant: LeaseGrant | null): { report: SliceReport[]; ended: boolean; revokedBy?: string } | null;
  leaseRevoked(by: string): { report: SliceReport[] };
  leaseAncestorFrozen(ancestor: string, frozen: boolean): void;
}

type MaybePromise<T> = T | Promise<T>;

/** A refill's answer: the lease's slices, or why there are none (the parent's side: durable-objects/session-tree/lease-grants.ts). */
export type LeaseAnswer = { granted: LeaseGrant } | { refused: LeaseRefusal } | { short: bigint };

/** One key's vote on an approval: yes (with an optional note) or no (with an optional reason). */
export interface ApprovalDecision {
  verdict: "approve" | "deny";
  keyId: string;
  text: string | null;
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
    input: { label: string | null; secretHash: string; keyId: string; keyPrefix: string; role?: ApiKeyView["role"] },
  ): Promise<PrincipalResult<ApiKeyView>>;
  listApiKeys(proof: KeyProof): Promise<PrincipalResult<ApiKeyView[]>>;
  revokeApiKey(proof: KeyProof, idem: Idempotency | null, keyId: string): Promise<PrincipalResult<ApiKeyView>>;
  /** Dashboard sign-ins (src/dashboard/): open with the key's secret, then read and close with `proof.dashboard`. */
  openDashboardSession(proof: KeyProof, input: { idHash: string; csrf: string; expiresAt: number }): Promise<PrincipalResult<DashboardSessionView>>;
  dashboardSession(proof: KeyProof): Promise<PrincipalResult<DashboardSessionView>>;
  closeDashboardSession(proof: KeyProof): Promise<PrincipalResult<{ signed_out: true }>>;
  grantSession(proof: KeyProof, idem: Idempotency | null, input: { session: NewSession; issuer: string }): Promise<PrincipalResult<Grant>>;
  getSession(proof: KeyProof, id: string): Promise<PrincipalResult<SessionView>>;
  getTree(proof: KeyProof, id: string, page?: TreePage): Promise<PrincipalResult<SessionTreeView>>;
  revokeSession(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<Revocation>>;
  indexLeasedTree(input: { tree: string; root: string; parentTree: string; createdAt: number; expiresAt: number }): void;
  listReceipts(proof: KeyProof, sessionId: string, page: { limit: number; startingAfter?: string }): Promise<PrincipalResult<ReceiptPage>>;
  receipt(proof: KeyProof, id: string): Promise<PrincipalResult<SignedReceipt>>;
  receiptInOutbox(proof: KeyProof, id: string): Promise<PrincipalResult<ReceiptInOutbox>>;
  setFrozen(proof: KeyProof, idem: Idempotency | null, frozen: boolean): Promise<PrincipalResult<FreezeResult>>;
  listApprovals(proof: KeyProof, query: { status?: ApprovalStatus; limit: number; startingAfter?: string }): Promise<PrincipalResult<ApprovalPage>>;
  getApproval(proof: KeyProof, id: string): Promise<PrincipalResult<ApprovalView>>;
  decideApproval(
    proof: KeyProof,
    idem: Idempotency | null,
    id: string,
    decision: { verdict: "approve" | "deny"; text: string | null },
  ): Promise<PrincipalResult<ApprovalView>>;
  // Governance (durable-objects/principal/listing.ts, exposure.ts): every tree asked at once.
  listAllSessions(proof: KeyProof, filter: SessionFilter, page: { limit: number; before?: ListCursor }): Promise<PrincipalResult<SessionList>>;
  listAllReceipts(proof: KeyProof, filter: ReceiptFilter, page: { limit: number; before?: ListCursor }): Promise<PrincipalResult<ReceiptList>>;
  exposure(proof: KeyProof): Promise<PrincipalResult<ExposureView>>;
  revokeSessions(proof: KeyProof, idem: Idempotency | null, filter: SessionFilter, dryRun: boolean): Promise<PrincipalResult<BulkRevocation>>;
  setSessionFrozen(proof: KeyProof, idem: Idempotency | null, id: string, frozen: boolean): Promise<PrincipalResult<SessionView>>;
  createTripwire(proof: KeyProof, idem: Idempotency | null, fields: TripwireFields): Promise<PrincipalResult<TripwireChange>>;
  listTripwires(proof: KeyProof): Promise<PrincipalResult<TripwireList>>;
  getTripwire(proof: KeyProof, id: string): Promise<PrincipalResult<TripwireView>>;
  updateTripwire(proof: KeyProof, idem: Idempotency | null, id: string, patch: Partial<TripwireFields>): Promise<PrincipalResult<TripwireChange>>;
  deleteTripwire(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<DeletedTripwire>>;
  resetTripwire(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<TripwireReset>>;
  createWebhookEndpoint(proof: KeyProof, idem: Idempotency | null, input: EndpointInput): Promise<PrincipalResult<NewEndpointView>>;
  listWebhookEndpoints(proof: KeyProof): Promise<PrincipalResult<EndpointView[]>>;
  getWebhookEndpoint(proof: KeyProof, id: string): Promise<PrincipalResult<EndpointView>>;
  updateWebhookEndpoint(proof: KeyProof, idem: Idempotency | null, id: string, patch: EndpointPatch): Promise<PrincipalResult<EndpointView>>;
  deleteWebhookEndpoint(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<DeletedEndpoint>>;
  rotateWebhookSecret(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<NewEndpointView>>;
  listWebhookDeliveries(proof: KeyProof, endpointId: string, options: { limit?: number; starting_after?: string }): Promise<PrincipalResult<DeliveryPage>>;
  redeliverWebhook(proof: KeyProof, idem: Idempotency | null, deliveryId: string): Promise<PrincipalResult<DeliveryView>>;
  listEvents(proof: KeyProof, query: EventQuery): Promise<PrincipalResult<EventPage>>;
  getEvent(proof: KeyProof, id: string): Promise<PrincipalResult<EventEnvelope>>;
  pollEvents(proof: KeyProof, poll: EventPoll): Promise<PrincipalResult<EventBatch>>;
  /** From this principal's trees (their events outbox). Idempotent by event id. */
  ingestEvents(events: unknown[]): Promise<IngestResult>;
  /**
   * An event of the principal's own (settlement notices): validated against the catalogue,
   * delivered once per (type, dedupeKey).
   */
  emitEvent<T extends EventType>(type: T, data: EventData<T>, dedupeKey?: string): Promise<Outcome<{ event: string; deliveries: number; duplicate: boolean }>>;
  webhookJob(deliveryId: string, now?: number): DeliveryJob | null;
  recordWebhookAttempt(deliveryId: string, attempt: AttemptInput): Promise<DeliveryView | null>;
  webhookDeadLettered(deliveryId: string): DeliveryView | null;
}

/** A Ledger shard's RPC surface (durable-objects/ledger/index.ts implements it). */
export interface LedgerRpc extends Rpc.DurableObjectBranded {
  append(shard: number, entries: LedgerEntry[]): AppendResult;
  seal(shard: number): { shard: number; sealed: SealedBatch[] };
  sealedBatches(shard: number, from: number, limit?: number): { shard: number; batches: SealedBatch[]; next: number; more: boolean };
  locate(shard: number, id: string): LedgerLocation | null;
  stats(shard: number): ShardStats;
}

/** The Settlement singleton's RPC surface (durable-objects/settlement/index.ts implements it). */
export interface SettlementRpc extends Rpc.DurableObjectBranded {
  run(options: { trigger: RunTrigger; seal?: boolean }): Promise<SettlementRun>;
  anchors(options?: { limit?: number; startingAfter?: number }): AnchorList;
  anchor(period: number): AnchorView | null;
  batchInPeriod(shard: number, batch: number): BatchInPeriod | null;
  status(): Promise<SettlementStatus>;
  /** Idempotent; a new current key closes the older open ones. Returns every registered key, and the inputs refused. */
  registerReceiptKeys(keys: ReceiptKeyInput[], now: number): ReceiptKeyRegistration;
  /** Every key that ever signed a receipt. */
  receiptKeys(): ReceiptKeyRecord[];
}
