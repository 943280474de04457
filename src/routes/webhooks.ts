/** Webhook endpoint routes: create, read, update, delete, rotate the secret, deliveries and redelivery. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { principalAuth, principalOf, type AppEnv } from "../middleware/auth";
import type { Env } from "../contract/env";
import { validationFailed } from "../core/errors";
import { idempotencyOf, respond } from "../http";
import { EmptyRequest, IdParam } from "../schemas";
import { EVENT_TYPES, isEventType } from "../core/webhooks/events";
import { checkWebhookUrl, MAX_URL_LENGTH } from "../core/webhooks/ssrf";
import { DEFAULT_PAGE_SIZE, MAX_DESCRIPTION_LENGTH, MAX_PAGE_SIZE } from "../contract/webhooks";
import { DeletedEndpoint, DeliveryPage, DeliveryView, EndpointList, EndpointView, NewEndpointView } from "../contract/wire/webhooks";
import { body, IdempotencyHeaders, RequiredIdempotencyHeaders, json, jsonBody, PRINCIPAL_SECURITY, problems } from "./common";

export const webhooks = new OpenAPIHono<AppEnv>();

const TAGS = ["Webhooks"];
const AUTH_PROBLEMS = ["unauthenticated", "validation-failed"] as const;
const MUTATION_PROBLEMS = [...AUTH_PROBLEMS, "idempotency-key-reused", "idempotency-in-flight"] as const;

// ---------------------------------------------------------------- schemas

const Events = z
  .array(z.string())
  .min(1)
  .max(EVENT_TYPES.length)
  .superRefine((events, ctx) => {
    if (events.includes("*") && events.length > 1) ctx.addIssue({ code: "custom", message: '"*" must be the only entry', params: { rule: "wildcard_alone" } });
    events.forEach((e, i) => {
      if (e !== "*" && !isEventType(e)) ctx.addIssue({ code: "custom", path: [i], message: `unknown event type ${e}`, params: { rule: "unknown_event_type" } });
    });
  })
  .openapi("WebhookEventTypes", {
    description: `Event types to receive, or \`["*"]\` for all: ${EVENT_TYPES.join(", ")}`,
    example: ["session.revoked", "budget.threshold"],
  });

const Url = z.string().min(1).max(MAX_URL_LENGTH).openapi({
  description: "https URL of a public host (private, loopback, link-local and metadata addresses are refused); redirects are not followed",
  example: "https://hooks.example.com/remit",
});

const EndpointRequest = z.strictObject({ url: Url, events: Events, description: z.string().max(MAX_DESCRIPTION_LENGTH).optional() }).openapi("WebhookEndpointRequest");

const EndpointPatch = z
  .strictObject({
    url: Url.optional(),
    events: Events.optional(),
    description: z.string().max(MAX_DESCRIPTION_LENGTH).nullable().optional(),
    disabled: z.boolean().optional().openapi({ description: "A disabled endpoint receives nothing; pending deliveries to it fail" }),
  })
  .openapi("WebhookEndpointPatch");

const DeliveryQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .optional()
    .openapi({ param: { name: "limit", in: "query" }, description: `Default ${DEFAULT_PAGE_SIZE}` }),
  starting_after: z
    .string()
    .regex(/^dlv_[0-9a-z]{26}$/, { message: "must be a dlv_ id", ...{ params: { rule: "id_format" } } })
    .optional()
    .openapi({ param: { name: "starting_after", in: "query" }, description: "The last delivery id of the previous page" }),
});

const OptionalEmpty = { content: { "application/json": { schema: EmptyRequest } } };

/** SSRF rules: loopback (over http too) only in development. */
function checkUrl(env: Env, url: string | undefined): void {
  if (url === undefined) return;
  const errors = checkWebhookUrl(url, { allowLoopback: env.REMIT_ENV === "development" });
  if (errors.length > 0) validationFailed(errors);
}

// ---------------------------------------------------------------- routes

const create = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints",
  tags: TAGS,
  summary: "Add a webhook endpoint; returns its signing secret",
  description:
    'Add an https endpoint to receive the principal\'s events (`events`, or `["*"]` for all). Deliveries are signed with Standard Webhooks using `secret`, which is returned only here; failed deliveries are retried with backoff. The events are described under `webhooks` in this document. ' +
    "Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result for 24 h.",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth, jsonBody] as const,
  request: { headers: RequiredIdempotencyHeaders, body: body(EndpointRequest) },
  responses: { 201: json(NewEndpointView, "The endpoint and its secret"), ...problems(...MUTATION_PROBLEMS) },
});

webhooks.openapi(create, async (c) => {
  const input = c.req.valid("json");
  checkUrl(c.env, input.url);
  const principal = principalOf(c.env, c.var.principalId);
  const result = await principal.createWebhookEndpoint(c.var.keyProof, await idempotencyOf(c), {
    url: input.url,
    events: input.events as never,
    description: input.description ?? null,
  });
  return respond(c, result, 201);
});

const list = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints",
  tags: TAGS,
  summary: "The principal's webhook endpoints",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  responses: { 200: json(EndpointList, "The endpoints"), ...problems("unauthenticated") },
});

webhooks.openapi(list, async (c) => respond(c, await principalOf(c.env, c.var.principalId).listWebhookEndpoints(c.var.keyProof), 200, (data) => ({ data })));

const get = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints/{id}",
  tags: TAGS,
  summary: "A webhook endpoint",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: { params: IdParam("whe") },
  responses: { 200: json(EndpointView, "The endpoint"), ...problems(...AUTH_PROBLEMS, "not-found") },
});

webhooks.openapi(get, async (c) => {
  const { id } = c.req.valid("param");
  return respond(c, await principalOf(c.env, c.var.principalId).getWebhookEndpoint(c.var.keyProof, id), 200);
});

const update = createRoute({
  method: "patch",
  path: "/v1/webhook-endpoints/{id}",
  tags: TAGS,
  summary: "Change a webhook endpoint's URL, events or description, or disable it",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth, jsonBody] as const,
  request: { params: IdParam("whe"), headers: RequiredIdempotencyHeaders, body: body(EndpointPatch) },
  responses: { 200: json(EndpointView, "The endpoint"), ...problems(...MUTATION_PROBLEMS, "not-found") },
});

webhooks.openapi(update, async (c) => {
  const { id } = c.req.valid("param");
  const input = c.req.valid("json");
  checkUrl(c.env, input.url);
  const principal = principalOf(c.env, c.var.principalId);
  return respond(c, await principal.updateWebhookEndpoint(c.var.keyProof, await idempotencyOf(c), id, input as never), 200);
});

const remove = createRoute({
  method: "delete",
  path: "/v1/webhook-endpoints/{id}",
  tags: TAGS,
  summary: "Delete a webhook endpoint and its delivery log",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: { params: IdParam("whe"), headers: IdempotencyHeaders },
  responses: { 200: json(DeletedEndpoint, "Deleted"), ...problems(...MUTATION_PROBLEMS, "not-found") },
});

webhooks.openapi(remove, async (c) => {
  const { id } = c.req.valid("param");
  const principal = principalOf(c.env, c.var.principalId);
  return respond(c, await principal.deleteWebhookEndpoint(c.var.keyProof, await idempotencyOf(c), id), 200);
});

const rotate = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints/{id}/rotate-secret",
  tags: TAGS,
  summary: "Rotate the signing secret",
  description:
    "The new secret is returned once. For 24 hours deliveries carry signatures with both the new and the previous secret, so receivers can switch without missing one. " +
    "Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result for 24 h.",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth, jsonBody] as const,
  request: { params: IdParam("whe"), headers: RequiredIdempotencyHeaders, body: OptionalEmpty },
  responses: { 200: json(NewEndpointView, "The endpoint and its new secret"), ...problems(...MUTATION_PROBLEMS, "not-found") },
});

webhooks.openapi(rotate, async (c) => {
  const { id } = c.req.valid("param");
  const principal = principalOf(c.env, c.var.principalId);
  return respond(c, await principal.rotateWebhookSecret(c.var.keyProof, await idempotencyOf(c), id), 200);
});

const deliveries = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints/{id}/deliveries",
  tags: TAGS,
  summary: "The endpoint's delivery log, newest first, with every attempt",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: { params: IdParam("whe"), query: DeliveryQuery },
  responses: { 200: json(DeliveryPage, "A page of deliveries"), ...problems(...AUTH_PROBLEMS, "not-found") },
});

webhooks.openapi(deliveries, async (c) => {
  const { id } = c.req.valid("param");
  const { limit, starting_after } = c.req.valid("query");
  const options = { ...(limit !== undefined ? { limit } : {}), ...(starting_after !== undefined ? { starting_after } : {}) };
  return respond(c, await principalOf(c.env, c.var.principalId).listWebhookDeliveries(c.var.keyProof, id, options), 200);
});

const redeliver = createRoute({
  method: "post",
  path: "/v1/webhook-deliveries/{id}/redeliver",
  tags: TAGS,
  summary: "Send a delivery again",
  description:
    "The delivery goes back to `pending` and starts the retry schedule afresh; its attempt log is kept. Use it after fixing a receiver that failed or was dead-lettered. " +
    "Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result for 24 h.",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth, jsonBody] as const,
  request: { params: IdParam("dlv"), headers: RequiredIdempotencyHeaders, body: OptionalEmpty },
  responses: { 200: json(DeliveryView, "The delivery, pending again"), ...problems(...MUTATION_PROBLEMS, "not-found") },
});

webhooks.openapi(redeliver, async (c) => {
  const { id } = c.req.valid("param");
  const principal = principalOf(c.env, c.var.principalId);
  return respond(c, await principal.redeliverWebhook(c.var.keyProof, await idempotencyOf(c), id), 200);
});
