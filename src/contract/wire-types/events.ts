/** The wire's webhook events, as plain TypeScript (see ../wire-types.ts). */
import type { Period } from "../../core/policy/periods";

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

/** `GET /v1/events`: the principal's events, newest first. */
export interface EventPage {
  data: EventEnvelope[];
  has_more: boolean;
}
