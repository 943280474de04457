import { z } from "@hono/zod-openapi";
import { agentJwkProblem } from "./core/auth/jwk";
import { ASSET_PATTERN, parseAmount } from "./core/policy/amounts";
import { PERIODS } from "./core/policy/periods";
import { parseScope } from "./core/policy/scopes";

/**
 * The single source of request validation and of the OpenAPI document. Objects
 * are strict: an unknown field is refused, never ignored. Custom rules carry a
 * stable `params.rule` that becomes `errors[].rule`.
 */
const rule = (name: string) => ({ params: { rule: name } });

export const ScopeString = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parseScope(value);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error.message, params: { rule: parsed.error.rule } });
  })
  .openapi({ description: "`resource:action:target`; the target may end in `*`", example: "http:GET:api.example.com/v1/*" });

export const Amount = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parseAmount(value);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message, params: { rule: parsed.rule } });
  })
  .openapi({ description: "Decimal string of integer minor units, up to 38 digits", example: "2500" });

export const PositiveAmount = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parseAmount(value, { positive: true });
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message, params: { rule: parsed.rule } });
  })
  .openapi({ description: "Positive decimal string of integer minor units, up to 38 digits", example: "250" });

export const Asset = z
  .string()
  .regex(ASSET_PATTERN, { message: "an asset code is 2–16 of A–Z, 0–9 and _, starting with a letter", ...rule("asset_format") })
  .openapi({ example: "USD" });

export const Period = z.enum(PERIODS as unknown as [string, ...string[]]).openapi({ description: "UTC calendar window" });

export const Budget = z
  .strictObject({ asset: Asset, amount: Amount, period: Period.optional() })
  .openapi("Budget");

export const RateLimitSchema = z
  .strictObject({
    requests: z.number().int().min(1).max(1_000_000),
    per_seconds: z.number().int().min(1).max(31 * 86_400),
  })
  .openapi("RateLimit");

export const Limits = z
  .strictObject({
    calls: z.number().int().min(0).max(1_000_000_000).optional(),
    rate: RateLimitSchema.optional(),
    budgets: z.array(Budget).max(32).optional(),
  })
  .superRefine((limits, ctx) => {
    const seen = new Set<string>();
    (limits.budgets ?? []).forEach((b, i) => {
      const key = `${b.asset}/${b.period ?? "life"}`;
      if (seen.has(key))
        ctx.addIssue({ code: "custom", path: ["budgets", i], message: `a second ${key} budget`, params: { rule: "duplicate_budget" } });
      seen.add(key);
    });
  })
  .openapi("Limits");

export const AgentJwk = z
  .looseObject({ kty: z.string(), crv: z.string().optional(), x: z.string().optional() })
  .superRefine((jwk, ctx) => {
    const p = agentJwkProblem(jwk);
    if (p) ctx.addIssue({ code: "custom", message: p, params: { rule: "agent_jwk" } });
  })
  .openapi("AgentJwk", { description: "The agent's public Ed25519 key as a JWK", example: { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" } });

const Timestamp = z.iso.datetime({ offset: true, message: "must be an RFC 3339 date-time" });

export const GrantRequest = z
  .strictObject({
    agent_jwk: AgentJwk,
    scopes: z.array(ScopeString).min(1).max(64),
    not_before: Timestamp.optional(),
    expires_at: Timestamp,
    limits: Limits.optional(),
    max_depth: z.number().int().min(0).max(16).optional(),
    label: z.string().max(200).optional(),
  })
  .openapi("GrantRequest");

export const DelegateRequest = z
  .strictObject({
    agent_jwk: AgentJwk,
    scopes: z.array(ScopeString).min(1).max(64),
    not_before: Timestamp.optional(),
    expires_at: Timestamp.optional(),
    limits: Limits.optional(),
    max_depth: z.number().int().min(0).max(16).optional(),
    label: z.string().max(200).optional(),
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
    expires_in: z.number().int().min(1).max(7 * 86_400).optional().openapi({ description: "Seconds; default 900, capped at the session's end" }),
  })
  .openapi("HoldRequest");

export const CaptureRequest = z.strictObject({ amount: PositiveAmount.optional() }).openapi("CaptureRequest");

export const PrincipalRequest = z
  .strictObject({
    name: z.string().min(1).max(200),
    max_session_seconds: z.number().int().min(60).max(365 * 86_400).optional().openapi({ description: "Default 86400 (24 h)" }),
  })
  .openapi("PrincipalRequest");

export const ApiKeyRequest = z.strictObject({ label: z.string().max(200).optional() }).openapi("ApiKeyRequest");

export const EmptyRequest = z.strictObject({}).openapi("EmptyRequest");

export const IdParam = (prefix: string) =>
  z.object({
    id: z
      .string()
      .regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), { message: `must be a ${prefix}_ id`, ...rule("id_format") })
      .openapi({ param: { name: "id", in: "path" }, example: `${prefix}_01h2xcejqtf2nbrexx3vqjhp41` }),
  });

// ---------------------------------------------------------------- responses

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), rule: z.string(), message: z.string() })).optional(),
  })
  .catchall(z.unknown())
  .openapi("Problem");

export const BudgetCounterView = z.object({
  asset: z.string(),
  period: z.string().nullable(),
  limit: z.string(),
  spent: z.string(),
  held: z.string(),
  remaining: z.string(),
  window_start: z.string().nullable(),
  resets_at: z.string().nullable(),
});

export const SessionView = z
  .object({
    id: z.string(),
    object: z.literal("session"),
    tree: z.string(),
    principal: z.string(),
    parent: z.string().nullable(),
    depth: z.number().int(),
    label: z.string().nullable(),
    status: z.enum(["active", "revoked", "expired", "pending", "frozen"]),
    scopes: z.array(z.string()),
    not_before: z.string(),
    expires_at: z.string(),
    max_depth: z.number().int(),
    limits: Limits,
    agent_jkt: z.string(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
    counters: z.object({
      calls: z.object({ limit: z.number(), used: z.number(), remaining: z.number() }).nullable(),
      budgets: z.array(BudgetCounterView),
      rate: z.object({ requests: z.number(), per_seconds: z.number(), remaining: z.number(), reset_seconds: z.number() }).nullable(),
      rate_limited: z.number(),
    }),
  })
  .openapi("Session");

export const GrantResponse = z.object({ session: SessionView, token: z.string() }).openapi("SessionGrant");

export const SignedReceiptView = z
  .object({
    receipt: z.record(z.string(), z.unknown()),
    bytes: z.string(),
    signature: z.string(),
    leaf_hash: z.string(),
  })
  .openapi("SignedReceipt");

export const HoldView = z
  .object({
    id: z.string(),
    object: z.literal("hold"),
    session: z.string(),
    scope: z.string(),
    asset: z.string(),
    amount: z.string(),
    captured: z.string().nullable(),
    status: z.enum(["open", "captured", "voided", "expired"]),
    expires_at: z.string(),
    created_at: z.string(),
  })
  .openapi("Hold");

export const PrincipalView = z
  .object({ id: z.string(), object: z.literal("principal"), name: z.string(), max_session_seconds: z.number(), frozen: z.boolean(), created_at: z.string() })
  .openapi("Principal");

export const ApiKeyView = z
  .object({ id: z.string(), object: z.literal("api_key"), prefix: z.string(), label: z.string().nullable(), created_at: z.string(), revoked_at: z.string().nullable() })
  .openapi("ApiKey");
