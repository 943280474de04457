/** The wire's webhook endpoints and deliveries, as plain TypeScript (see ../wire-types.ts). */
import type { EventEnvelope, EventSelection, EventType } from "./events";

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
