import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { principalAuth, principalOf, type AppEnv } from "../middleware/auth";
import { validationFailed } from "../core/errors";
import {
  MAX_WINDOW_SECONDS,
  MIN_WINDOW_SECONDS,
  TRIPWIRE_ACTIONS,
  TRIPWIRE_METRICS,
  TRIPWIRE_MODES,
  TRIPWIRE_PERS,
  tripwireErrors,
  type TripwireFields,
} from "../core/policy/tripwires";
import { idempotencyOf, respond } from "../http";
import { EmptyRequest, IdParam, ScopeString } from "../schemas";
import { DeletedTripwire, TripwireChange, TripwireList, TripwireReset, TripwireView } from "../contract/wire/tripwires";
import { body, IdempotencyHeaders, json, jsonBody, PRINCIPAL_SECURITY, problems } from "./common";

export const tripwires = new OpenAPIHono<AppEnv>();

const TAGS = ["Trip-wires"];
const AUTH_PROBLEMS = ["unauthenticated", "validation-failed"] as const;
const MUTATION_PROBLEMS = [...AUTH_PROBLEMS, "idempotency-key-reused", "idempotency-in-flight"] as const;

const fields = {
  metric: z.enum(TRIPWIRE_METRICS).openapi({ description: "`amount` sums spends in `asset`; `count` counts authorized actions; `denials` counts refused decisions" }),
  asset: z.string().min(1).max(64).nullable().optional().openapi({ description: "Required for `amount`; for `count`, counts only actions in this asset" }),
  scope: ScopeString.nullable().optional().openapi({ description: "Only actions whose scope this pattern covers count" }),
  window: z
    .number()
    .int()
    .min(MIN_WINDOW_SECONDS)
    .max(MAX_WINDOW_SECONDS)
    .openapi({ description: `Trailing window in seconds, ${MIN_WINDOW_SECONDS} to ${MAX_WINDOW_SECONDS}`, example: 60 }),
  threshold: z
    .string()
    .openapi({ description: "Decimal string: minor units for `amount`, a positive integer otherwise; the decision that takes the total over it trips", example: "5" }),
  per: z.enum(TRIPWIRE_PERS).openapi({ description: "Count per session or over the whole tree" }),
  action: z.enum(TRIPWIRE_ACTIONS).openapi({ description: "What a trip does: refuse the decision, and freeze its session (and subtree), tree or principal until reset" }),
  mode: z.enum(TRIPWIRE_MODES).openapi({ description: "`shadow` refuses nothing and emits `tripwire.shadow`" }),
};

const TripwireRequest = z.strictObject({ ...fields, mode: fields.mode.default("enforce") }).openapi("TripwireRequest");
const TripwirePatch = z
  .strictObject({
    metric: fields.metric.optional(),
    asset: fields.asset,
    scope: fields.scope,
    window: fields.window.optional(),
    threshold: fields.threshold.optional(),
    per: fields.per.optional(),
    action: fields.action.optional(),
    mode: fields.mode.optional(),
  })
  .openapi("TripwirePatch");

const OptionalEmpty = { content: { "application/json": { schema: EmptyRequest } } };

const create = createRoute({
  method: "post",
  path: "/v1/tripwires",
  tags: TAGS,
  summary: "Add a trip-wire to every tree of the principal, present and future",
  description: "Returns once every tree has the rule, or names those it has not reached yet in `pending_trees`.",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth, jsonBody] as const,
  request: { headers: IdempotencyHeaders, body: body(TripwireRequest) },
  responses: { 201: json(TripwireChange, "The rule, and the trees it has not reached"), ...problems(...MUTATION_PROBLEMS, "cap-exceeded") },
});

tripwires.openapi(create, async (c) => {
  const input = c.req.valid("json") as TripwireFields;
  const errors = tripwireErrors(input);
  if (errors.length > 0) validationFailed(errors);
  const principal = principalOf(c.env, c.var.principalId);
  return respond(c, await principal.createTripwire(c.var.keyProof, await idempotencyOf(c), input), 201);
});

const list = createRoute({
  method: "get",
  path: "/v1/tripwires",
  tags: TAGS,
  summary: "The principal's trip-wires",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  responses: { 200: json(TripwireList, "The rules"), ...problems("unauthenticated") },
});

tripwires.openapi(list, async (c) => respond(c, await principalOf(c.env, c.var.principalId).listTripwires(c.var.keyProof), 200));

const get = createRoute({
  method: "get",
  path: "/v1/tripwires/{id}",
  tags: TAGS,
  summary: "A trip-wire",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: { params: IdParam("trw") },
  responses: { 200: json(TripwireView, "The rule"), ...problems(...AUTH_PROBLEMS, "not-found") },
});

tripwires.openapi(get, async (c) => {
  const { id } = c.req.valid("param");
  return respond(c, await principalOf(c.env, c.var.principalId).getTripwire(c.var.keyProof, id), 200);
});

const update = createRoute({
  method: "patch",
  path: "/v1/tripwires/{id}",
  tags: TAGS,
  summary: "Change a trip-wire; the change reaches every tree before the call returns, or is named pending",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth, jsonBody] as const,
  request: { params: IdParam("trw"), headers: IdempotencyHeaders, body: body(TripwirePatch) },
  responses: { 200: json(TripwireChange, "The rule, and the trees it has not reached"), ...problems(...MUTATION_PROBLEMS, "not-found") },
});

tripwires.openapi(update, async (c) => {
  const { id } = c.req.valid("param");
  const principal = principalOf(c.env, c.var.principalId);
  return respond(c, await principal.updateTripwire(c.var.keyProof, await idempotencyOf(c), id, c.req.valid("json") as Partial<TripwireFields>), 200);
});

const remove = createRoute({
  method: "delete",
  path: "/v1/tripwires/{id}",
  tags: TAGS,
  summary: "Delete a trip-wire; what it froze acts again",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: { params: IdParam("trw"), headers: IdempotencyHeaders },
  responses: { 200: json(DeletedTripwire, "Deleted"), ...problems(...MUTATION_PROBLEMS, "not-found") },
});

tripwires.openapi(remove, async (c) => {
  const { id } = c.req.valid("param");
  const principal = principalOf(c.env, c.var.principalId);
  return respond(c, await principal.deleteTripwire(c.var.keyProof, await idempotencyOf(c), id), 200);
});

const reset = createRoute({
  method: "post",
  path: "/v1/tripwires/{id}/reset",
  tags: TAGS,
  summary: "Clear what the trip-wire froze, in every tree, and restart its windows",
  description: "A trip-wire's freeze is a switch of its own: the principal's unfreeze does not clear it, this does.",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth, jsonBody] as const,
  request: { params: IdParam("trw"), headers: IdempotencyHeaders, body: OptionalEmpty },
  responses: { 200: json(TripwireReset, "How many trips were cleared, and the trees not reached"), ...problems(...MUTATION_PROBLEMS, "not-found") },
});

tripwires.openapi(reset, async (c) => {
  const { id } = c.req.valid("param");
  const principal = principalOf(c.env, c.var.principalId);
  return respond(c, await principal.resetTripwire(c.var.keyProof, await idempotencyOf(c), id), 200);
});
