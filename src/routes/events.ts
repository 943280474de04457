/**
 * The principal's events: the log (`GET /v1/events`, `GET /v1/events/{id}`), kept 30
 * days in the Principal object (durable-objects/principal/events.ts), and its live
 * stream as server-sent events (`GET /v1/events/stream`).
 *
 * Why the stream polls: the Principal object is single-threaded and decides every call
 * of the principal; a stream held open inside it (or an object-side wait per listener)
 * would tie it to each listener. Instead this edge invocation asks it every
 * `POLL_MS` for the events after its cursor: one short synchronous read, nothing held
 * between polls, and each poll re-authenticates the key (a revoked key ends the
 * stream within a poll). Idle streams cost one read a second and a comment line every
 * `HEARTBEAT_MS`; a stream closes after `STREAM_MAX_MS` and the client resumes with
 * `Last-Event-ID`, so nothing is lost and no invocation lives for ever. Hibernating
 * WebSockets on the object would push instead of poll, but would make every event
 * write fan out inside the object that takes decisions; at a second's latency polling
 * is the sounder trade.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { DEFAULT_EVENT_PAGE, MAX_EVENT_PAGE, type EventBatch } from "../contract/events";
import { EventPage } from "../contract/wire/events";
import { problemBody, RemitError, type Outcome } from "../core/errors";
import { sseComment, sseFrame } from "../core/sse";
import { EVENT_TYPES, isEventType, webhookEventSchema, type EventType } from "../core/webhooks/events";
import { baseUrl, respond } from "../http";
import { principalAuth, principalOf, type AppEnv } from "../middleware/auth";
import { IdParam, rule } from "../schemas";
import { json, PRINCIPAL_SECURITY, problems } from "./common";

export const events = new OpenAPIHono<AppEnv>();

const TAGS = ["Events"];
/** How often a stream asks the Principal object for new events. */
export const POLL_MS = 1000;
/** A comment line at least this often, so proxies keep an idle stream open. */
export const HEARTBEAT_MS = 15_000;
/** A stream ends after this long; clients reconnect with `Last-Event-ID` (EventSource does by itself). */
export const STREAM_MAX_MS = 10 * 60_000;
/** Events per poll. */
const POLL_LIMIT = 100;

/** `type=a,b` or `type=a&type=b`; every entry must be a known event type. */
const TypeFilter = z
  .union([z.string(), z.array(z.string())])
  .transform((v) =>
    (Array.isArray(v) ? v : [v])
      .flatMap((s) => s.split(","))
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  )
  .superRefine((types, ctx) => {
    for (const t of types)
      if (!isEventType(t))
        ctx.addIssue({ code: "custom", message: `unknown event type ${JSON.stringify(t)}; allowed: ${EVENT_TYPES.join(", ")}`, ...rule("unknown_event_type") });
  })
  .transform((types) => [...new Set(types)] as EventType[])
  .optional()
  .openapi({
    param: { name: "type", in: "query", style: "form", explode: true },
    description: `Only these event types: comma-separated or repeated (\`type=session.granted&type=session.revoked\`). One of ${EVENT_TYPES.join(", ")}`,
    example: "session.granted,session.revoked",
  });

const Timestamp = (name: string, description: string) =>
  z.iso
    .datetime({ offset: true, message: `must be an RFC 3339 date-time, e.g. 2026-11-17T10:00:00Z`, ...rule("format_datetime") } as never)
    .transform((s) => Date.parse(s))
    .optional()
    .openapi({ param: { name, in: "query" }, description, example: "2026-11-17T10:00:00Z" });

const ListQuery = z.object({
  type: TypeFilter,
  created_after: Timestamp("created_after", "Only events created strictly after this time"),
  created_before: Timestamp("created_before", "Only events created strictly before this time"),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_EVENT_PAGE)
    .default(DEFAULT_EVENT_PAGE)
    .openapi({ param: { name: "limit", in: "query" }, description: `Default ${DEFAULT_EVENT_PAGE}, at most ${MAX_EVENT_PAGE}` }),
  starting_after: z
    .string()
    .regex(/^evt_[0-9a-z]{26}$/, { message: "must be an evt_ id", ...rule("id_format") })
    .optional()
    .openapi({ param: { name: "starting_after", in: "query" }, description: "The last event id of the previous page" }),
});

const StreamHeaders = z.object({
  "last-event-id": z
    .string()
    .regex(/^evt_[0-9a-z]{26}$/, { message: "must be the evt_ id of the last event received", ...rule("id_format") })
    .optional()
    .openapi({
      param: { name: "last-event-id", in: "header" },
      description: "Resume after this event: every event recorded since is sent first. An event no longer kept (or never yours) starts the stream at now",
    }),
});

// ---------------------------------------------------------------- the stream (before {id}, which it would match)

const stream = createRoute({
  method: "get",
  path: "/v1/events/stream",
  tags: TAGS,
  summary: "New events as they happen, as server-sent events",
  description:
    "`text/event-stream`: each event is a message with `id:` (the event id), `event:` (its type) and `data:` (the event, as `GET /v1/events/{id}` returns it). " +
    `A comment line at least every ${HEARTBEAT_MS / 1000} s keeps the connection open through proxies. ` +
    "Send `Last-Event-ID` on reconnection to be sent everything recorded since (from the 30 days kept); without it the stream starts at now. " +
    `A stream ends after ${STREAM_MAX_MS / 60_000} minutes (and when the API key is revoked, after an \`event: error\` with the problem); reconnect with \`Last-Event-ID\`. ` +
    "`remit listen --forward-to <url>` forwards the stream to a local URL, signed with Standard Webhooks.",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: { query: z.object({ type: TypeFilter }), headers: StreamHeaders },
  responses: {
    200: {
      description: "The event stream",
      content: { "text/event-stream": { schema: z.string().openapi({ example: 'id: evt_…\nevent: session.granted\ndata: {"id":"evt_…",…}\n\n' }) } },
    },
    ...problems("unauthenticated", "forbidden", "validation-failed"),
  },
});

events.openapi(stream, async (c) => {
  const { type } = c.req.valid("query");
  const lastEventId = c.req.valid("header")["last-event-id"];
  const principal = principalOf(c.env, c.var.principalId);
  const proof = c.var.keyProof;
  const types = type && type.length > 0 ? type : undefined;
  const poll = (cursor: number | null) =>
    principal.pollEvents(proof, { cursor, limit: POLL_LIMIT, ...(types ? { types } : {}), ...(cursor === null && lastEventId ? { lastEventId } : {}) });

  // The first poll answers before the stream starts: a bad key is a plain problem response.
  const first = outcomeOf((await poll(null)).outcome);
  return sseResponse(c, first, poll, lastEventId);
});

function outcomeOf<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new RemitError(outcome.problem);
  return outcome.value;
}

function sseResponse(
  c: Context<AppEnv>,
  first: EventBatch,
  poll: (cursor: number) => Promise<{ outcome: Outcome<EventBatch> }>,
  lastEventId: string | undefined,
): Response {
  const encoder = new TextEncoder();
  const started = Date.now();
  const base = baseUrl(c);
  let cursor = first.cursor;
  let pending: EventBatch | null = first;
  let lastWrite = Date.now();
  let closed = false;

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let hello = sseFrame({ retry: POLL_MS, data: "" }).replace(/data: \n/, "");
      if (lastEventId && !first.resumed) hello += sseComment(`${lastEventId} is not among the events kept (30 days); streaming from now`);
      controller.enqueue(encoder.encode(hello + sseComment("connected")));
    },
    // One chunk per pull: events, a heartbeat, an error, or the end. Nothing is read ahead of the client.
    async pull(controller) {
      for (;;) {
        if (closed) return;
        if (pending && pending.data.length > 0) {
          const frames = pending.data.map((e) => sseFrame({ id: e.id, event: e.type, data: JSON.stringify(e) })).join("");
          pending = null;
          lastWrite = Date.now();
          controller.enqueue(encoder.encode(frames));
          return;
        }
        pending = null;
        if (Date.now() - started >= STREAM_MAX_MS) {
          closed = true;
          controller.enqueue(encoder.encode(sseComment("stream closed after its time; reconnect with Last-Event-ID")));
          controller.close();
          return;
        }
        if (Date.now() - lastWrite >= HEARTBEAT_MS) {
          lastWrite = Date.now();
          controller.enqueue(encoder.encode(sseComment("heartbeat")));
          return;
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
        if (closed) return;
        let outcome: Outcome<EventBatch>;
        try {
          outcome = (await poll(cursor)).outcome;
        } catch (e) {
          // The object was unreachable: end the stream; the client resumes from its last event.
          console.error("events stream: poll failed", e);
          closed = true;
          controller.close();
          return;
        }
        if (!outcome.ok) {
          closed = true;
          controller.enqueue(encoder.encode(sseFrame({ event: "error", data: JSON.stringify(problemBody(outcome.problem, base)) })));
          controller.close();
          return;
        }
        cursor = outcome.value.cursor;
        pending = outcome.value;
      }
    },
    cancel() {
      closed = true;
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" },
  });
}

// ---------------------------------------------------------------- the log

const list = createRoute({
  method: "get",
  path: "/v1/events",
  tags: TAGS,
  summary: "The principal's events, newest first",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: { query: ListQuery },
  responses: { 200: json(EventPage, "A page of events"), ...problems("unauthenticated", "forbidden", "validation-failed") },
});

events.openapi(list, async (c) => {
  const q = c.req.valid("query");
  const query = {
    limit: q.limit,
    ...(q.type && q.type.length > 0 ? { types: q.type } : {}),
    ...(q.created_after !== undefined ? { createdAfter: q.created_after } : {}),
    ...(q.created_before !== undefined ? { createdBefore: q.created_before } : {}),
    ...(q.starting_after !== undefined ? { startingAfter: q.starting_after } : {}),
  };
  return respond(c, await principalOf(c.env, c.var.principalId).listEvents(c.var.keyProof, query), 200);
});

const get = createRoute({
  method: "get",
  path: "/v1/events/{id}",
  tags: TAGS,
  summary: "One event",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: { params: IdParam("evt") },
  responses: { 200: json(webhookEventSchema, "The event"), ...problems("unauthenticated", "forbidden", "validation-failed", "not-found") },
});

events.openapi(get, async (c) => {
  const { id } = c.req.valid("param");
  return respond(c, await principalOf(c.env, c.var.principalId).getEvent(c.var.keyProof, id), 200);
});
