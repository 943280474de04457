/**
 * The response bodies of the API as plain TypeScript: what the SDK publishes and the service's
 * code reads. This file imports nothing but core types that are plain TypeScript themselves, so
 * no zod, Workers or server-only type reaches a declaration built from it.
 *
 * The zod schemas in ./wire validate and document the same bodies; each schema's module re-exports
 * its types from here and checks at compile time that `z.output` of the schema equals the type
 * (see ./wire/check.ts), so neither side can change alone.
 */
import type { Period } from "../core/policy/periods";
import type { ReceiptProof } from "../core/receipts/period";
import type { SignedReceipt } from "../core/receipts/receipt";

export type { Period };

// ---- limits -----------------------------------------------------------------

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

// ---- meta -------------------------------------------------------------------

export interface Jwks {
  keys: { kty: "OKP"; crv: "Ed25519"; x: string; kid: string; alg: "EdDSA"; use: "sig" }[];
}

export interface Health {
  ok: true;
}

/** Every key that ever signed a receipt (`/.well-known/receipt-keys.json`), newest first. */
export interface ReceiptKeys {
  keys: {
    kty: "OKP";
    crv: "Ed25519";
    x: string;
    kid: string;
    alg: "EdDSA";
    use: "sig";
    signing_from: string;
    signing_until: string | null;
  }[];
}

// ---- receipts ---------------------------------------------------------------

/** Core signs and hashes receipts, so it owns their shape. */
export type SignedReceiptView = SignedReceipt;

export interface ReceiptPage {
  data: SignedReceiptView[];
  has_more: boolean;
}

// ---- principals -------------------------------------------------------------

export interface PrincipalView {
  id: string;
  object: "principal";
  name: string;
  max_session_seconds: number;
  frozen: boolean;
  created_at: string;
}

export interface NewPrincipal {
  principal: PrincipalView;
  api_key: string;
}

export interface ApiKeyView {
  id: string;
  object: "api_key";
  prefix: string;
  label: string | null;
  /** admin: everything; approver: reads and decides approvals; read_only: reads. */
  role: "admin" | "approver" | "read_only";
  created_at: string;
  revoked_at: string | null;
}

export interface NewApiKey extends ApiKeyView {
  /** The secret key, shown once (absent on an idempotent replay). */
  api_key?: string | undefined;
}

export interface ApiKeyList {
  data: ApiKeyView[];
}

export interface FreezeResult extends PrincipalView {
  /** How many trees the switch reached. */
  trees: number;
}

// ---- holds ------------------------------------------------------------------

export interface HoldView {
  id: string;
  object: "hold";
  session: string;
  scope: string;
  asset: string;
  amount: string;
  captured: string | null;
  status: "open" | "captured" | "voided" | "expired";
  expires_at: string;
  created_at: string;
}

export interface SettledHold {
  hold: HoldView;
  receipt: SignedReceiptView;
}

// ---- sessions ---------------------------------------------------------------

export interface BudgetCounterView {
  asset: string;
  period: Period | null;
  limit: string;
  spent: string;
  held: string;
  remaining: string;
  window_start: string | null;
  resets_at: string | null;
}

export interface SessionView {
  id: string;
  object: "session";
  tree: string;
  principal: string;
  parent: string | null;
  depth: number;
  label: string | null;
  status: "active" | "revoked" | "expired" | "pending" | "frozen";
  scopes: string[];
  not_before: string;
  expires_at: string;
  max_depth: number;
  limits: Limits;
  agent_jkt: string;
  created_at: string;
  revoked_at: string | null;
  /** Present while frozen: which switches hold it (the principal's, its own, an ancestor's). */
  frozen_by?: ("principal" | "session" | "ancestor")[];
  counters: {
    calls: { limit: number; used: number; remaining: number } | null;
    budgets: BudgetCounterView[];
    rate: { requests: number; per_seconds: number; remaining: number; reset_seconds: number } | null;
    rate_limited: number;
  };
  /** Trip-wire freezes that stop this session (its own or an ancestor's, the tree's, the principal's): a switch apart from the principal's freeze, cleared by resetting the rule. */
  tripped: TrippedView[];
}

export interface TrippedView {
  rule: string;
  action: "freeze_session" | "freeze_tree" | "freeze_principal";
  /** For freeze_session: the session whose subtree is frozen; else null. */
  session: string | null;
  at: string;
}

export interface Grant {
  session: SessionView;
  token: string;
}

export interface SessionTreeView {
  session: SessionView;
  descendants: SessionView[];
  has_more: boolean;
  next_cursor: string | null;
}

export interface Revocation {
  session: string;
  revoked: number;
}

export interface Authorization {
  receipt: SignedReceiptView;
  session: SessionView;
}

// ---- settlement -------------------------------------------------------------

/** A period and its anchor, as GET /v1/anchors shows it. */
export interface AnchorView {
  object: "anchor";
  /** The settlement's sequence number: the key of `rootOf(period)` on RemitAnchor. */
  period: number;
  /** The period root, 0x-prefixed as on chain. */
  root: string;
  /** Receipts the period covers. */
  count: number;
  status: AnchorViewStatus;
  batches: number;
  tx: string | null;
  block: number | null;
  confirmations: number | null;
  gas_used: string | null;
  contract: string;
  chain_id: number | null;
  created_at: string;
  anchored_at: string | null;
  /** The chain already held another root for this number; the batches moved to this period. */
  superseded_by: number | null;
}

export type AnchorViewStatus = "pending" | "confirming" | "anchored" | "failed" | "superseded";

export interface AnchorList {
  data: AnchorView[];
  has_more: boolean;
}

/**
 * receipt → batch root → period root → RemitAnchor.rootOf(period) on chain_id. Hashes are
 * 32 bytes, lowercase hex without 0x.
 */
export interface AnchoredProof extends ReceiptProof {
  contract: string;
  chain_id: number;
  tx_hash: string;
  block_number: number;
}

/** outbox: not yet in the ledger; ledger: received, not sealed; sealed: in a batch; anchoring: in a period being anchored; anchored. */
export type ProofStage = "outbox" | "ledger" | "sealed" | "anchoring" | "anchored";

export interface BatchView {
  shard: number;
  index: number;
  size: number;
  root: string;
  leaf_index: number;
  path: string[];
  sealed_at: string;
}

export interface ReceiptProofView {
  object: "receipt_proof";
  id: string;
  status: "pending" | "anchored";
  stage: ProofStage;
  receipt: SignedReceiptView;
  /** The ledger shard of the receipt's tree (null before its first drain). */
  shard: number | null;
  /** When its ledger shard took it from the tree's outbox (null while in the outbox). */
  received_at: string | null;
  batch: BatchView | null;
  anchor: AnchorView | null;
  proof: AnchoredProof | null;
  /** Until anchored: when it should be anchored, from the schedule (see the route's description); null once anchored. */
  expected_by: string | null;
  /** Not anchored and past `expected_by`. */
  overdue: boolean;
}

export type RunTrigger = "cron" | "admin" | "alarm";
export type RunAction = "anchored" | "confirming" | "waiting" | "sent" | "signed" | "error" | "failed" | "idle" | "disabled" | "misconfigured";

export interface SettlementRun {
  object: "settlement_run";
  trigger: RunTrigger;
  action: RunAction;
  detail?: string | undefined;
  anchor: AnchorView | null;
  /** Batches sealed because the run asked the shards to seal. */
  sealed?: number | undefined;
}

export interface ShardStats {
  shard: number;
  received: number;
  open: number;
  oldest_open_at: number | null;
  batches: number;
  log_size: number;
  log_root: string;
}

/** The period being anchored, with its sending state. */
export interface CurrentAnchor extends AnchorView {
  attempts: number;
  hashes: string[];
  nonce: number | null;
  error: string | null;
  record_status: string;
}

export interface SettlementStatus {
  object: "settlement_status";
  anchoring: {
    state: "ready" | "disabled" | "misconfigured";
    reason?: string | undefined;
    contract?: string | undefined;
    confirmations?: number | undefined;
  };
  last_period: number;
  current: CurrentAnchor | null;
  shards: { shard: number; next_batch: number; ledger: ShardStats | null }[];
  unsent_notices: number;
}

// ---- webhook events ---------------------------------------------------------

export type EventType =
  | "session.granted"
  | "session.delegated"
  | "session.revoked"
  | "session.expiring"
  | "session.expired"
  | "budget.threshold"
  | "hold.expired"
  | "principal.frozen"
  | "principal.unfrozen"
  | "settlement.anchored"
  | "settlement.failed"
  | "settlement.delayed"
  | "approval.requested"
  | "approval.approved"
  | "approval.denied"
  | "approval.expired"
  | "approval.canceled"
  | "tripwire.tripped"
  | "tripwire.shadow";

/** What an endpoint subscribes to: some event types, or every one (`["*"]`). */
export type EventSelection = EventType[] | ["*"];

/** What a trip-wire event says: the rule, where it tripped, and the trailing-window total the decision would have reached. */
export interface TripwireTripData {
  rule: string;
  tree: string;
  session: string;
  metric: "amount" | "count" | "denials";
  per: "session" | "tree";
  action: "deny" | "freeze_session" | "freeze_tree" | "freeze_principal";
  scope: string | null;
  asset: string | null;
  window: number;
  threshold: string;
  total: string;
  at: string;
}

export interface TripwireTrippedData extends TripwireTripData {
  /** The signed denial receipt (reason `tripwire`) of the refused decision. */
  receipt: string;
}

/** Each event type's `data`. */
export interface EventDataMap {
  "session.granted": { session: string; tree: string; agent_jkt: string; scopes: string[]; not_before: string; expires_at: string; parent: null };
  "session.delegated": {
    session: string;
    tree: string;
    agent_jkt: string;
    scopes: string[];
    not_before: string;
    expires_at: string;
    parent: string;
    depth: number;
  };
  /** Sent once for every session revoked; `revoked_root` is the session the revocation was called on. */
  "session.revoked": { session: string; tree: string; revoked_root: string; revoked_at: string };
  "session.expiring": { session: string; tree: string; expires_at: string; lead_seconds: number };
  "session.expired": { session: string; tree: string; expired_at: string };
  "budget.threshold": {
    session: string;
    tree: string;
    asset: string;
    /** The budget's period; `null` for a budget over the session's whole life. */
    period: Period | null;
    threshold: 50 | 80 | 100;
    limit: string;
    spent: string;
    held: string;
    /** Start of the budget's current window; `null` for a budget over the session's whole life. */
    window_start: string | null;
  };
  "hold.expired": { hold: string; session: string; tree: string; asset: string; amount: string; expired_at: string };
  "approval.requested": {
    approval: string;
    session: string;
    tree: string;
    label: string | null;
    path: string[];
    kind: "authorize" | "hold";
    scope: string;
    asset: string | null;
    amount: string | null;
    approvers_needed: number;
    expires_at: string;
    remaining: { session: string; asset: string; period: "hour" | "day" | "week" | "month" | null; remaining: string }[];
  };
  "approval.approved": { approval: string; session: string; tree: string; decided_by: string[]; receipt: string | null; hold: string | null };
  "approval.denied": { approval: string; session: string; tree: string; decided_by: string[]; reason: string | null; receipt: string };
  "approval.expired": { approval: string; session: string; tree: string; expired_at: string; receipt: string };
  "approval.canceled": { approval: string; session: string; tree: string; cause: "agent" | "session-revoked" | "principal-frozen" | "session-frozen"; receipt: string };
  "principal.frozen": { frozen_at: string };
  "principal.unfrozen": { unfrozen_at: string };
  "settlement.anchored": { period: string; root: string; count: number; tx_hash: string; chain_id: number; contract: string };
  "settlement.failed": { period: string; reason: string };
  "settlement.delayed": { period: string; late_seconds: number; expected_by: string; stage: "new" | "signed" | "sent" | "mined" | "conflict" | "failed" };
  "tripwire.tripped": TripwireTrippedData;
  "tripwire.shadow": TripwireTripData;
}

/** An event as delivered: `{ id, type, created_at, principal, data }`. Distributes over `T`. */
export type EventEnvelope<T extends EventType = EventType> = T extends EventType
  ? { id: string; type: T; created_at: string; principal: string; data: EventDataMap[T] }
  : never;

// ---- webhook endpoints and deliveries -----------------------------------------

export interface EndpointView {
  id: string;
  object: "webhook_endpoint";
  url: string;
  events: EventSelection;
  description: string | null;
  disabled: boolean;
  created_at: string;
  updated_at: string;
}

export interface NewEndpointView extends EndpointView {
  /** Standard Webhooks signing secret (`whsec_…`), returned when the endpoint is made and when the secret is rotated. */
  secret: string;
}

export interface EndpointList {
  data: EndpointView[];
}

export interface DeletedEndpoint {
  id: string;
  object: "webhook_endpoint";
  deleted: true;
}

export interface AttemptView {
  attempt: number;
  at: string;
  status_code: number | null;
  latency_ms: number;
  /** At most 1 KiB of the response body. */
  response_excerpt: string;
  error: string | null;
  next_attempt_at: string | null;
}

export interface DeliveryView {
  id: string;
  object: "webhook_delivery";
  /** The `webhook-id` header, the same on every attempt. */
  msg_id: string;
  endpoint: string;
  event_id: string;
  event_type: EventType;
  payload: EventEnvelope;
  status: "pending" | "succeeded" | "retrying" | "failed";
  attempts: number;
  next_attempt_at: string | null;
  /** Set when every attempt failed and the delivery went to the dead-letter queue. */
  dead_lettered_at: string | null;
  created_at: string;
  updated_at: string;
  attempt_log: AttemptView[];
}

export interface DeliveryPage {
  data: DeliveryView[];
  has_more: boolean;
}

// ---- approvals ------------------------------------------------------------------

export type ApprovalStatus = "pending" | "approved" | "denied" | "expired" | "canceled";

export interface ApprovalView {
  id: string;
  object: "approval";
  status: ApprovalStatus;
  kind: "authorize" | "hold";
  session: string;
  tree: string;
  label: string | null;
  path: string[];
  scope: string;
  asset: string | null;
  amount: string | null;
  request_digest: string | null;
  approvers_needed: number;
  approved_by: string[];
  expires_at: string;
  created_at: string;
  decided_at: string | null;
  note: string | null;
  reason: string | null;
  receipt: SignedReceiptView | null;
  hold: string | null;
}

export interface PendingApproval {
  approval: ApprovalView;
}

export interface ApprovalPage {
  data: ApprovalView[];
  has_more: boolean;
}

// ---- trip-wires -------------------------------------------------------------

/** A trip-wire rule as the API shows it (src/core/policy/tripwires.ts evaluates it). */
export interface TripwireView {
  id: string;
  object: "tripwire";
  metric: "amount" | "count" | "denials";
  asset: string | null;
  scope: string | null;
  window: number;
  threshold: string;
  per: "session" | "tree";
  action: "deny" | "freeze_session" | "freeze_tree" | "freeze_principal";
  mode: "enforce" | "shadow";
  created_at: string;
  updated_at: string;
}

/** A change of the principal's trip-wires: reached every tree before the call returned, except `pending_trees`. */
export interface TripwireChange {
  tripwire: TripwireView;
  /** Trees the change has not reached yet (their object did not answer); empty when every tree has it. */
  pending_trees: string[];
}

export interface TripwireList {
  data: TripwireView[];
}

export interface DeletedTripwire {
  id: string;
  object: "tripwire";
  deleted: true;
  pending_trees: string[];
}

export interface TripwireReset {
  id: string;
  object: "tripwire_reset";
  /** Trips cleared across the principal's trees. */
  cleared: number;
  pending_trees: string[];
}

// ---- governance ---------------------------------------------------------------

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
