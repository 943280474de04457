/**
 * Governance: every session and receipt of a principal across its trees, the most it
 * can still lose (exposure), bulk revocation by filter, a session's own freeze switch,
 * and the agent's panic button. Mounted before ./sessions.ts so `/v1/sessions/revoke`
 * is never read as a session id.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { decodeCursor, type ListCursor, type ReceiptFilter, type SessionFilter } from "../contract/governance";
import { BulkRevocation, ExposureView, ReceiptList, SessionList } from "../contract/wire/governance";
import { Revocation, SessionView } from "../contract/wire/session";
import { validationFailed } from "../core/errors";
import { parseDuration } from "../core/policy/exposure";
import { idempotencyOf, respond } from "../http";
import { agentAuth, principalAuth, principalOf, treeOf, type AppEnv } from "../middleware/auth";
import { EmptyRequest, IdParam, rule, Timestamp } from "../schemas";
import { AGENT_PROBLEMS } from "./agent";
import { AGENT_SECURITY, body, RequiredIdempotencyHeaders, json, jsonBody, PRINCIPAL_SECURITY, problems } from "./common";

export const governance = new OpenAPIHono<AppEnv>();

const AUTH_PROBLEMS = ["unauthenticated", "validation-failed"] as const;
const Duration = z
  .string()
  .refine((v) => parseDuration(v) !== null, { message: "must be an ISO 8601 duration of weeks, days, hours, minutes, seconds (P7D, PT1H)", ...rule("iso_duration") })
  .openapi({ example: "P7D" });
const Status = z.enum(["active", "revoked", "expired", "frozen", "pending"]);
const Jkt = z.string().regex(/^[A-Za-z0-9_-]{43}$/, { message: "must be an RFC 7638 SHA-256 thumbprint (43 base64url characters)", ...rule("jkt_format") });

/** The listing's filters, shared by the query string and the bulk revocation's body. */
const filterFields = {
  status: Status.optional(),
  label: z.string().min(1).max(200).optional(),
  agent: Jkt.optional(),
  created_before: Timestamp.optional(),
  created_after: Timestamp.optional(),
  expires_before: Timestamp.optional(),
  expires_after: Timestamp.optional(),
  idle_for: Duration.optional(),
};

const SessionQuery = z.object({
  ...filterFields,
  root: z.enum(["true", "false"]).optional(),
  depth: z.coerce.number().int().min(0).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

const FilterBody = z.strictObject({ ...filterFields, root: z.boolean().optional(), depth: z.number().int().min(0).max(64).optional() }).openapi("SessionFilter");

const BulkRevokeRequest = z
  .strictObject({
    filter: FilterBody.refine((f) => Object.values(f).some((v) => v !== undefined), {
      message: "give at least one filter: an empty filter would revoke every session (use POST /v1/freeze to stop everything)",
      ...rule("empty_filter"),
    }),
    dry_run: z.boolean().optional(),
  })
  .openapi("BulkRevokeRequest");

type Filters = { [K in keyof typeof filterFields]?: string } & { root?: boolean | "true" | "false"; depth?: number };

function toFilter(q: Filters): SessionFilter {
  const at = (v: string | undefined) => (v === undefined ? undefined : Date.parse(v));
  const f: SessionFilter = {
    status: q.status as SessionFilter["status"],
    root: q.root === undefined ? undefined : q.root === true || q.root === "true",
    label: q.label,
    agent: q.agent,
    createdBefore: at(q.created_before),
    createdAfter: at(q.created_after),
    expiresBefore: at(q.expires_before),
    expiresAfter: at(q.expires_after),
    idleForMs: q.idle_for === undefined ? undefined : parseDuration(q.idle_for)!,
    depth: q.depth,
  };
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as SessionFilter;
}

function cursorOf(text: string | undefined): { before?: ListCursor } {
  if (text === undefined) return {};
  const before = decodeCursor(text);
  if (!before) validationFailed([{ field: "cursor", rule: "unknown_cursor", message: "must be a next_cursor this listing returned" }]);
  return { before };
}

const listSessions = createRoute({
  method: "get",
  path: "/v1/sessions",
  tags: ["Sessions", "Governance"],
  summary: "Every session of every tree, newest first, filtered",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: { query: SessionQuery },
  responses: { 200: json(SessionList, "One page of sessions with their counters"), ...problems(...AUTH_PROBLEMS) },
});

governance.openapi(listSessions, async (c) => {
  const q = c.req.valid("query");
  const page = { limit: q.limit, ...cursorOf(q.cursor) };
  return respond(c, await principalOf(c.env, c.var.principalId).listAllSessions(c.var.keyProof, toFilter(q), page), 200);
});

const ReceiptQuery = z.object({
  session: z
    .string()
    .regex(/^ses_[0-9a-z]{26}$/, { message: "must be a ses_ id", ...rule("id_format") })
    .optional(),
  kind: z.enum(["authorize", "capture", "void", "denial"]).optional(),
  outcome: z.enum(["allowed", "denied"]).optional(),
  created_before: Timestamp.optional(),
  created_after: Timestamp.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

const listReceipts = createRoute({
  method: "get",
  path: "/v1/receipts",
  tags: ["Receipts", "Governance"],
  summary: "Receipts across every tree, newest first, filtered",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: { query: ReceiptQuery },
  responses: { 200: json(ReceiptList, "One page of receipts"), ...problems(...AUTH_PROBLEMS) },
});

governance.openapi(listReceipts, async (c) => {
  const q = c.req.valid("query");
  const filter: ReceiptFilter = {
    ...(q.session ? { session: q.session } : {}),
    ...(q.kind ? { kind: q.kind } : {}),
    ...(q.outcome ? { outcome: q.outcome } : {}),
    ...(q.created_before ? { createdBefore: Date.parse(q.created_before) } : {}),
    ...(q.created_after ? { createdAfter: Date.parse(q.created_after) } : {}),
  };
  return respond(c, await principalOf(c.env, c.var.principalId).listAllReceipts(c.var.keyProof, filter, { limit: q.limit, ...cursorOf(q.cursor) }), 200);
});

const exposure = createRoute({
  method: "get",
  path: "/v1/exposure",
  tags: ["Governance"],
  summary: "The most the principal can still lose, per asset, now and over horizons",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  responses: { 200: json(ExposureView, "The exposure"), ...problems(...AUTH_PROBLEMS) },
});

governance.openapi(exposure, async (c) => respond(c, await principalOf(c.env, c.var.principalId).exposure(c.var.keyProof), 200));

const bulkRevoke = createRoute({
  method: "post",
  path: "/v1/sessions/revoke",
  tags: ["Sessions", "Governance"],
  summary: "Revoke every session matching a filter, cascading (dry run first)",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth, jsonBody] as const,
  request: { headers: RequiredIdempotencyHeaders, body: body(BulkRevokeRequest) },
  responses: { 200: json(BulkRevocation, "What was (or would be) revoked"), ...problems(...AUTH_PROBLEMS, "idempotency-key-reused", "idempotency-in-flight") },
});

governance.openapi(bulkRevoke, async (c) => {
  const input = c.req.valid("json");
  const principal = principalOf(c.env, c.var.principalId);
  return respond(c, await principal.revokeSessions(c.var.keyProof, await idempotencyOf(c), toFilter(input.filter), input.dry_run === true), 200);
});

const switchRoute = (verb: "freeze" | "unfreeze") =>
  createRoute({
    method: "post",
    path: `/v1/sessions/{id}/${verb}`,
    tags: ["Sessions", "Governance"],
    summary: verb === "freeze" ? "Freeze a session and everything beneath it (its own switch)" : "Turn a session's own switch off",
    security: PRINCIPAL_SECURITY,
    middleware: [principalAuth, jsonBody] as const,
    request: { params: IdParam("ses"), headers: RequiredIdempotencyHeaders, body: { content: { "application/json": { schema: EmptyRequest } } } },
    responses: { 200: json(SessionView, "The session after the switch"), ...problems(...AUTH_PROBLEMS, "not-found") },
  });

for (const verb of ["freeze", "unfreeze"] as const)
  governance.openapi(switchRoute(verb), async (c) => {
    const { id } = c.req.valid("param");
    const principal = principalOf(c.env, c.var.principalId);
    return respond(c, await principal.setSessionFrozen(c.var.keyProof, await idempotencyOf(c), id, verb === "freeze"), 200);
  });

const panic = createRoute({
  method: "post",
  path: "/v1/session/revoke",
  tags: ["Agents", "Governance"],
  summary: "The agent's panic button: revoke its own session and everything beneath it",
  security: AGENT_SECURITY,
  middleware: [agentAuth, jsonBody] as const,
  request: { headers: RequiredIdempotencyHeaders, body: { content: { "application/json": { schema: EmptyRequest } } } },
  responses: { 200: json(Revocation, "How many sessions were revoked"), ...problems(...AGENT_PROBLEMS, "idempotency-key-reused") },
});

governance.openapi(panic, async (c) => {
  const { claims, call } = c.var.agent;
  const idempotency = await idempotencyOf(c);
  return respond(c, await treeOf(c.env, claims.tree).revokeSelf({ ...call, ...(idempotency ? { idempotency } : {}) }), 200);
});
