import { z } from "@hono/zod-openapi";
import { agentJwkProblem } from "./core/auth/jwk";
import { AMOUNT_TYPE_MESSAGE, parseAmount } from "./core/policy/amounts";
import { parseScope, scopeIssueParams } from "./core/policy/scopes";
import { ABSOLUTE_MAX_SCOPES } from "./core/policy/caps";
import { ROLES } from "./core/auth/roles";
import { Asset, Limits } from "./contract/wire/limits";

/**
 * The single source of request validation (response bodies are the contract's, in
 * src/contract/wire/). Objects are strict: an unknown field is refused, never ignored.
 * Custom rules carry a stable `params.rule` that becomes `errors[].rule`.
 */
/** A custom rule's stable name, which becomes `errors[].rule`. */
export const rule = (name: string) => ({ params: { rule: name } });

export const ScopeString = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parseScope(value);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error.message, params: scopeIssueParams(parsed.error) });
  })
  .openapi({ description: "`resource:action:target`; the target may end in `*`", example: "http:GET:api.example.com/v1/*" });

export const PositiveAmount = z
  .string({ error: AMOUNT_TYPE_MESSAGE })
  .superRefine((value, ctx) => {
    const parsed = parseAmount(value, { positive: true });
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message, params: { rule: parsed.rule } });
  })
  .openapi({ description: "Positive decimal string of integer minor units, up to 38 digits", example: "250" });

export const AgentJwk = z
  .looseObject({ kty: z.string(), crv: z.string().optional(), x: z.string().optional() })
  .superRefine((jwk, ctx) => {
    const p = agentJwkProblem(jwk);
    if (p) ctx.addIssue({ code: "custom", message: p, params: { rule: "agent_jwk" } });
  })
  .openapi("AgentJwk", {
    description: "The agent's public Ed25519 key as a JWK",
    example: { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" },
  });

/**
 * The absolute caps on a session's scopes (64, and 512 characters each, in parseScope);
 * the configured ones (src/core/policy/caps.ts, default 32 and 256) are checked with the
 * vars: by the grant route and by the tree for every grant and delegation.
 */
const ScopeList = z
  .array(ScopeString)
  .min(1)
  .max(ABSOLUTE_MAX_SCOPES, { message: `at most ${ABSOLUTE_MAX_SCOPES} scopes per session (the configured cap may be lower)` });

export const Timestamp = z.iso.datetime({ offset: true, message: "must be an RFC 3339 date-time" });

export const GrantRequest = z
  .strictObject({
    agent_jwk: AgentJwk,
    scopes: ScopeList,
    not_before: Timestamp.optional(),
    expires_at: Timestamp,
    limits: Limits.optional(),
    max_depth: z.number().int().min(0).max(16).optional(),
    label: z.string().max(200).optional(),
    child_placement: z.enum(["same_object", "own_object"], { message: "must be same_object or own_object" }).optional().openapi({
      description:
        "Where the root's children go when a delegation does not say (`placement`): `own_object` makes every child of this root a hot subtree in a Durable Object of its own, under a budget lease. Refused when the root limits `calls` or `rate` (they are not leased). Default `same_object`.",
      example: "own_object",
    }),
  })
  .openapi("GrantRequest");

export const DelegateRequest = z
  .strictObject({
    agent_jwk: AgentJwk,
    scopes: ScopeList,
    not_before: Timestamp.optional(),
    expires_at: Timestamp.optional(),
    limits: Limits.optional(),
    max_depth: z.number().int().min(0).max(16).optional(),
    label: z.string().max(200).optional(),
    placement: z.enum(["same_object", "own_object"], { message: "must be same_object or own_object" }).optional().openapi({
      description:
        "`own_object` places the child and its whole subtree in a Durable Object of its own, which spends under a budget lease: a slice of every budget up the chain, reserved in the parent's counters like a hold and refilled as it runs low. For hot subtrees, so one root budget can span many objects. Default `same_object`.",
      example: "own_object",
    }),
  })
  .openapi("DelegateRequest", { description: "Omitted fields are inherited from the parent; anything wider is refused." });

export const SpendAmount = z.strictObject({ asset: Asset, value: PositiveAmount }).openapi("SpendAmount");

export const AuthorizeRequest = z
  .strictObject({
    scope: ScopeString,
    amount: SpendAmount.optional(),
    request_digest: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { message: "must be a lowercase hex SHA-256", ...rule("sha256_hex") })
      .optional(),
  })
  .openapi("AuthorizeRequest");

export const HoldRequest = z
  .strictObject({
    scope: ScopeString,
    amount: SpendAmount,
    request_digest: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { message: "must be a lowercase hex SHA-256", ...rule("sha256_hex") })
      .optional()
      .openapi({ description: "SHA-256 of the request this hold pays for; carried into the capture, void or expiry receipt" }),
    expires_in: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .optional()
      .openapi({ description: "Seconds; default 900, capped at the session's end" }),
  })
  .openapi("HoldRequest");

export const CaptureRequest = z.strictObject({ amount: PositiveAmount.optional() }).openapi("CaptureRequest");

export const PrincipalRequest = z
  .strictObject({
    name: z.string().min(1).max(200),
    max_session_seconds: z
      .number()
      .int()
      .min(60)
      .max(365 * 86_400)
      .optional()
      .openapi({ description: "Default 86400 (24 h)" }),
  })
  .openapi("PrincipalRequest");

export const ApiKeyRequest = z
  .strictObject({
    label: z.string().max(200).optional(),
    role: z.enum(ROLES).optional().openapi({ description: "Default admin. approver: reads and decides approvals; read_only: reads" }),
  })
  .openapi("ApiKeyRequest");

export const EmptyRequest = z.strictObject({}).openapi("EmptyRequest");

export const IdParam = (prefix: string) =>
  z.object({
    id: z
      .string()
      .regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), { message: `must be a ${prefix}_ id`, ...rule("id_format") })
      .openapi({ param: { name: "id", in: "path" }, example: `${prefix}_01h2xcejqtf2nbrexx3vqjhp41` }),
  });
