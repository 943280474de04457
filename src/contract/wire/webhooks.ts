/** Webhook endpoints and deliveries on the wire. */
import { z } from "@hono/zod-openapi";
import { EVENT_TYPES, eventSelectionSchema, webhookEventSchema, type EventEnvelope, type EventSelection } from "../../core/webhooks/events";
import { MAX_ATTEMPTS } from "../../core/webhooks/schedule";
import type * as W from "../wire-types";
import type { Assert, Equal } from "./check";

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

export type EndpointView = W.EndpointView;
export type NewEndpointView = W.NewEndpointView;
export type EndpointList = W.EndpointList;
export type DeletedEndpoint = W.DeletedEndpoint;
export type AttemptView = W.AttemptView;
export type DeliveryView = W.DeliveryView;
export type DeliveryPage = W.DeliveryPage;

// The plain types the SDK publishes must be exactly what the schemas validate and document.
export type _EndpointViewWire = Assert<Equal<z.output<typeof EndpointView>, EndpointView>>;
export type _NewEndpointViewWire = Assert<Equal<z.output<typeof NewEndpointView>, NewEndpointView>>;
export type _EndpointListWire = Assert<Equal<z.output<typeof EndpointList>, EndpointList>>;
export type _DeletedEndpointWire = Assert<Equal<z.output<typeof DeletedEndpoint>, DeletedEndpoint>>;
export type _AttemptViewWire = Assert<Equal<z.output<typeof AttemptView>, AttemptView>>;
export type _DeliveryViewWire = Assert<Equal<z.output<typeof DeliveryView>, DeliveryView>>;
export type _DeliveryPageWire = Assert<Equal<z.output<typeof DeliveryPage>, DeliveryPage>>;

// Core's event catalogue owns these shapes; the wire must say exactly the same.
export type _SelectionTie = Assert<Equal<EndpointView["events"], EventSelection>>;
export type _PayloadTie = Assert<Equal<DeliveryView["payload"], EventEnvelope>>;
