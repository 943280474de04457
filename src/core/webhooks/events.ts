/**
 * The webhook event catalogue: every event type Remit sends, its `data` schema and
 * the envelope around it. The schemas are the wire contract and go into the OpenAPI
 * document as `WebhookEvent_<type with _ for .>` components.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { newId, type IdPrefix } from "../ids";

export const EVENT_TYPES = [
  "session.granted",
  "session.delegated",
  "session.revoked",
  "session.expiring",
  "session.expired",
  "budget.threshold",
  "hold.expired",
  "approval.requested",
  "approval.approved",
  "approval.denied",
  "approval.expired",
  "approval.canceled",
  "principal.frozen",
  "principal.unfrozen",
  "settlement.anchored",
  "settlement.failed",
  "settlement.delayed",
  "tripwire.tripped",
  "tripwire.shadow",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const EVENT_DESCRIPTIONS: Record<EventType, string> = {
  "session.granted": "A root session was granted to an agent key.",
  "session.delegated": "An agent delegated a child session to another agent key.",
  "session.revoked": "A session was revoked; sent once for each session in the revoked subtree.",
  "session.expiring": "A session will expire in `lead_seconds`.",
  "session.expired": "A session reached its `expires_at`.",
  "budget.threshold": "Spending plus holds crossed 50, 80 or 100 % of a budget in its current window.",
  "hold.expired": "A hold was neither captured nor voided in time and released itself.",
  "approval.requested": "An action crossed a session's approval line and waits for people, its amount reserved up the tree.",
  "approval.approved": "An approval reached its quorum: the spend was committed with its receipt.",
  "approval.denied": "An approver denied an approval: the reservation was released.",
  "approval.expired": "No one decided an approval in time: it expired (never a yes) and the reservation was released.",
  "approval.canceled": "The agent withdrew an approval, or its session was revoked or the principal frozen: the reservation was released.",
  "principal.frozen": "The principal's kill switch was thrown: every session stopped.",
  "principal.unfrozen": "The principal's sessions may act again.",
  "settlement.anchored": "A settlement period's Merkle root was written on chain and confirmed.",
  "settlement.failed": "Anchoring a settlement period failed; `reason` says why.",
  "settlement.delayed":
    "A settlement period is still not anchored more than one settlement interval after its `expected_by`; `stage` says where it waits. Once per period.",
  "tripwire.tripped": "A trip-wire in `enforce` mode refused a decision and, for the freeze actions, froze its scope until reset.",
  "tripwire.shadow": "A trip-wire in `shadow` mode would have tripped; nothing was refused.",
};

export function isEventType(value: unknown): value is EventType {
  return typeof value === "string" && (EVENT_TYPES as readonly string[]).includes(value);
}

// ---- building blocks -------------------------------------------------------

const id = (prefix: IdPrefix) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`))
    .openapi({ example: `${prefix}_01j9zq3x4m5n6p7r8s9t0v1w2x` });
/** RFC 3339 date-time in UTC, as produced by `Date.prototype.toISOString`. */
const timestamp = z.iso.datetime().openapi({ example: "2026-11-17T10:00:00.000Z" });
/** Decimal string of integer minor units. */
const amount = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/)
  .openapi({ example: "2500" });
const asset = z.string().min(1).max(64).openapi({ example: "usd" });
const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);
/** RFC 7638 JWK thumbprint of the agent key (base64url SHA-256). */
const jkt = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
/** Settlement period identifier, as used by `GET /v1/anchors/{period}`. */
const settlementPeriod = z.string().min(1).max(64);

const sessionGrant = {
  session: id("ses"),
  tree: id("tre"),
  agent_jkt: jkt,
  scopes: z.array(z.string()),
  not_before: timestamp,
  expires_at: timestamp,
};

const approvalRef = { approval: id("apr"), session: id("ses"), tree: id("tre") };
const tripwireTrip = {
  rule: id("trw"),
  tree: id("tre"),
  session: id("ses"),
  metric: z.enum(["amount", "count", "denials"]),
  per: z.enum(["session", "tree"]),
  action: z.enum(["deny", "freeze_session", "freeze_tree", "freeze_principal"]),
  scope: z.string().nullable(),
  asset: asset.nullable(),
  window: z.int().min(1),
  threshold: amount,
  /** The trailing-window total the decision would have reached. */
  total: amount,
  at: timestamp,
};

// ---- data schemas, one per event type --------------------------------------

export const eventDataSchemas = {
  "session.granted": z.object({ ...sessionGrant, parent: z.null() }),
  "session.delegated": z.object({ ...sessionGrant, parent: id("ses"), depth: z.int().min(1) }),
  /** Sent once for every session revoked; `revoked_root` is the session the revocation was called on. */
  "session.revoked": z.object({
    session: id("ses"),
    tree: id("tre"),
    revoked_root: id("ses"),
    revoked_at: timestamp,
  }),
  "session.expiring": z.object({
    session: id("ses"),
    tree: id("tre"),
    expires_at: timestamp,
    lead_seconds: z.int().min(0),
  }),
  "session.expired": z.object({ session: id("ses"), tree: id("tre"), expired_at: timestamp }),
  "budget.threshold": z.object({
    session: id("ses"),
    tree: id("tre"),
    asset,
    /** The budget's period; `null` for a budget over the session's whole life. */
    period: z.enum(["hour", "day", "week", "month"]).nullable(),
    threshold: z.union([z.literal(50), z.literal(80), z.literal(100)]),
    limit: amount,
    spent: amount,
    held: amount,
    /** Start of the budget's current window; `null` for a budget over the session's whole life. */
    window_start: timestamp.nullable(),
  }),
  "hold.expired": z.object({
    hold: id("hld"),
    session: id("ses"),
    tree: id("tre"),
    asset,
    amount,
    expired_at: timestamp,
  }),
  "approval.requested": z.object({
    ...approvalRef,
    label: z.string().nullable(),
    path: z.array(id("ses")),
    kind: z.enum(["authorize", "hold"]),
    scope: z.string(),
    asset: asset.nullable(),
    amount: amount.nullable(),
    approvers_needed: z.int().min(1),
    expires_at: timestamp,
    /** What remains of each budget of the session's chain in the asset, after the reservation. */
    remaining: z.array(z.object({ session: id("ses"), asset, period: z.enum(["hour", "day", "week", "month"]).nullable(), remaining: amount })),
  }),
  "approval.approved": z.object({ ...approvalRef, decided_by: z.array(z.string()), receipt: id("rcp").nullable(), hold: id("hld").nullable() }),
  "approval.denied": z.object({ ...approvalRef, decided_by: z.array(z.string()), reason: z.string().nullable(), receipt: id("rcp") }),
  "approval.expired": z.object({ ...approvalRef, expired_at: timestamp, receipt: id("rcp") }),
  "approval.canceled": z.object({ ...approvalRef, cause: z.enum(["agent", "session-revoked", "principal-frozen", "session-frozen"]), receipt: id("rcp") }),
  "principal.frozen": z.object({ frozen_at: timestamp }),
  "principal.unfrozen": z.object({ unfrozen_at: timestamp }),
  "settlement.anchored": z.object({
    period: settlementPeriod,
    root: hex32,
    count: z.int().min(0),
    tx_hash: hex32,
    chain_id: z.int().min(1),
    contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  }),
  "settlement.failed": z.object({ period: settlementPeriod, reason: z.string().min(1).max(1024) }),
  "settlement.delayed": z.object({
    period: settlementPeriod,
    late_seconds: z.int().min(0),
    expected_by: timestamp,
    stage: z.enum(["new", "signed", "sent", "mined", "conflict", "failed"]),
  }),
  /** `receipt` is the signed denial receipt (reason `tripwire`) of the refused decision. */
  "tripwire.tripped": z.object({ ...tripwireTrip, receipt: id("rcp") }),
  "tripwire.shadow": z.object(tripwireTrip),
} as const satisfies Record<EventType, z.ZodType>;

export type EventData<T extends EventType = EventType> = z.infer<(typeof eventDataSchemas)[T]>;

// ---- envelopes -------------------------------------------------------------

function envelope<T extends EventType>(type: T) {
  const name = `WebhookEvent_${type.replace(/\./g, "_")}`;
  return z
    .object({
      id: id("evt"),
      type: z.literal(type),
      created_at: timestamp,
      principal: id("prn"),
      data: eventDataSchemas[type],
    })
    .openapi(name);
}

export const eventSchemas = {
  "session.granted": envelope("session.granted"),
  "session.delegated": envelope("session.delegated"),
  "session.revoked": envelope("session.revoked"),
  "session.expiring": envelope("session.expiring"),
  "session.expired": envelope("session.expired"),
  "budget.threshold": envelope("budget.threshold"),
  "hold.expired": envelope("hold.expired"),
  "approval.requested": envelope("approval.requested"),
  "approval.approved": envelope("approval.approved"),
  "approval.denied": envelope("approval.denied"),
  "approval.expired": envelope("approval.expired"),
  "approval.canceled": envelope("approval.canceled"),
  "principal.frozen": envelope("principal.frozen"),
  "principal.unfrozen": envelope("principal.unfrozen"),
  "settlement.anchored": envelope("settlement.anchored"),
  "settlement.failed": envelope("settlement.failed"),
  "settlement.delayed": envelope("settlement.delayed"),
  "tripwire.tripped": envelope("tripwire.tripped"),
  "tripwire.shadow": envelope("tripwire.shadow"),
} as const satisfies { [T in EventType]: z.ZodType };

/** Any event, discriminated by `type`. */
export const webhookEventSchema = z
  .discriminatedUnion("type", EVENT_TYPES.map((t) => eventSchemas[t]) as unknown as [(typeof eventSchemas)[EventType], ...(typeof eventSchemas)[EventType][]])
  .openapi("WebhookEvent");

/** An event as delivered: `{ id, type, created_at, principal, data }`. Distributes over `T`. */
export type EventEnvelope<T extends EventType = EventType> = T extends EventType ? z.infer<(typeof eventSchemas)[T]> : never;

/** What an endpoint subscribes to: some event types, or every one (`["*"]`). */
export type EventSelection = EventType[] | ["*"];

export const eventSelectionSchema = z
  .union([z.tuple([z.literal("*")]), z.array(z.enum(EVENT_TYPES)).min(1)])
  .openapi("WebhookEventSelection", { example: ["session.revoked", "budget.threshold"] });

export function selects(selection: readonly string[], type: EventType): boolean {
  return selection.includes("*") || selection.includes(type);
}

/**
 * Build an event envelope. `data` is checked against the catalogue (a mismatch is a
 * bug in the caller, so it throws) and unknown keys are dropped. `now` is epoch ms.
 */
export function buildEvent<T extends EventType>(type: T, principal: string, data: EventData<T>, now: number): EventEnvelope<T> {
  const parsed = eventSchemas[type].safeParse({
    id: newId("evt"),
    type,
    created_at: new Date(now).toISOString(),
    principal,
    data,
  });
  if (!parsed.success) {
    throw new TypeError(`invalid ${type} event: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data as EventEnvelope<T>;
}

/** Describe every event under the OpenAPI 3.1 `webhooks` section of the document. */
export function registerWebhookEvents(registry: OpenAPIHono["openAPIRegistry"]): void {
  for (const type of EVENT_TYPES) {
    registry.registerWebhook({
      method: "post",
      path: type,
      summary: EVENT_DESCRIPTIONS[type],
      description:
        "Signed with Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). " +
        "Retried with backoff for about a day until the receiver answers 2xx; redirects are not followed.",
      request: { body: { content: { "application/json": { schema: eventSchemas[type] } } } },
      responses: { 200: { description: "Any 2xx acknowledges the event." } },
    });
  }
}
