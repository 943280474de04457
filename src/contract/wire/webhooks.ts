/** Webhook endpoints and deliveries on the wire. */
import { z } from "@hono/zod-openapi";
import { EVENT_TYPES, eventSelectionSchema, webhookEventSchema, type EventEnvelope, type EventSelection } from "../../core/webhooks/events";
import { MAX_ATTEMPTS } from "../../core/webhooks/schedule";
import type { Assert, Same } from "./check";

export const EndpointView = z
  .object({
    id: z.string(),
    object: z.literal("webhook_endpoint"),
    url: z.string(),
    events: eventSelectionSchema,
    description: z.string().nullable(),
    disabled: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("WebhookEndpoint");

export const NewEndpointView = EndpointView.extend({
  secret: z.string().openapi({
    description: "Standard Webhooks signing secret (`whsec_…`). Returned when the endpoint is made and when the secret is rotated; keep it",
  }),
}).openapi("WebhookEndpointWithSecret");

export const EndpointList = z.object({ data: z.array(EndpointView) }).openapi("WebhookEndpointList");

export const DeletedEndpoint = z.object({ id: z.string(), object: z.literal("webhook_endpoint"), deleted: z.literal(true) }).openapi("DeletedWebhookEndpoint");

export const AttemptView = z
  .object({
    attempt: z.number().int(),
    at: z.string(),
    status_code: z.number().int().nullable(),
    latency_ms: z.number().int(),
    response_excerpt: z.string().openapi({ description: "At most 1 KiB of the response body" }),
    error: z.string().nullable(),
    next_attempt_at: z.string().nullable(),
  })
  .openapi("WebhookAttempt");

export const DeliveryView = z
  .object({
    id: z.string(),
    object: z.literal("webhook_delivery"),
    msg_id: z.string().openapi({ description: "The `webhook-id` header, the same on every attempt" }),
    endpoint: z.string(),
    event_id: z.string(),
    event_type: z.enum(EVENT_TYPES),
    payload: webhookEventSchema,
    status: z.enum(["pending", "succeeded", "retrying", "failed"]),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    dead_lettered_at: z
      .string()
      .nullable()
      .openapi({ description: `Set when all ${MAX_ATTEMPTS} attempts failed and the delivery went to the dead-letter queue` }),
    created_at: z.string(),
    updated_at: z.string(),
    attempt_log: z.array(AttemptView),
  })
  .openapi("WebhookDelivery");

export const DeliveryPage = z.object({ data: z.array(DeliveryView), has_more: z.boolean() }).openapi("WebhookDeliveryPage");

export type EndpointView = z.output<typeof EndpointView>;
export type NewEndpointView = z.output<typeof NewEndpointView>;
export type EndpointList = z.output<typeof EndpointList>;
export type DeletedEndpoint = z.output<typeof DeletedEndpoint>;
export type AttemptView = z.output<typeof AttemptView>;
export type DeliveryView = z.output<typeof DeliveryView>;
export type DeliveryPage = z.output<typeof DeliveryPage>;

// Core's event catalogue owns these shapes; the wire must say exactly the same.
export type _SelectionTie = Assert<Same<EndpointView["events"], EventSelection>>;
export type _PayloadTie = Assert<Same<DeliveryView["payload"], EventEnvelope>>;
