/** Webhook endpoints, deliveries and attempts as they cross the Principal RPC boundary. */
import type { EventEnvelope, EventSelection, EventType } from "../core/webhooks/events";
import type { AttemptView, DeliveryView, EndpointView } from "./wire-types";

export type { AttemptView, DeletedEndpoint, DeliveryView, EndpointView, NewEndpointView } from "./wire-types";

/** Wire limits of the webhook endpoint routes (validated at the edge, enforced again in the store). */
export const MAX_DESCRIPTION_LENGTH = 500;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** An endpoint as the store keeps it: the wire view without its `object` tag. */
export type Endpoint = Omit<EndpointView, "object">;

export interface EndpointInput {
  url: string;
  events: EventSelection;
  description?: string | null;
}

export interface EndpointPatch {
  url?: string;
  events?: EventSelection;
  description?: string | null;
  disabled?: boolean;
}

export type DeliveryStatus = DeliveryView["status"];

export interface DeliveryInput {
  id: string;
  endpoint: string;
  event_id: string;
  event_type: EventType;
  payload: EventEnvelope;
  status: DeliveryStatus;
  attempts: number;
  /** The `webhook-id` sent with every attempt of this delivery; a new `msg_…` id if absent. */
  msg_id?: string;
}

export interface AttemptInput {
  at: number;
  status_code: number | null;
  latency_ms: number;
  response_excerpt: string;
  error: string | null;
  /** When the next attempt is due, or null when none will be made. */
  next_attempt_at: number | null;
  /** 1-based number of this attempt; when given, a repeated report of it is ignored. */
  attempt?: number;
}

export type Attempt = AttemptView;

/** A delivery as the store keeps it: the wire view without its `object` tag. */
export type Delivery = Omit<DeliveryView, "object">;

/** A page of the store's deliveries (the wire page tags each with `object`). */
export interface DeliveryPage {
  data: Delivery[];
  has_more: boolean;
}

/** Everything a queue consumer needs for one attempt. */
export interface DeliveryJob {
  delivery: string;
  msg_id: string;
  url: string;
  /** Current secret first, then the previous one while it is still valid. */
  secrets: string[];
  event: EventEnvelope;
  status: DeliveryStatus;
  /** Attempts made in all. */
  attempts: number;
  /** Attempts made since the delivery was last (re)queued: the position in the retry schedule. */
  round_attempts: number;
  endpoint_disabled: boolean;
}

export interface IngestResult {
  /** Events recorded now. */
  accepted: number;
  /** Events already recorded (sent again after a crash), skipped. */
  duplicates: number;
  /** Deliveries created, one per subscribed endpoint and event. */
  deliveries: number;
}
