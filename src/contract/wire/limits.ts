/**
 * A session's limits: sent in grant and delegation requests and shown back in every session view,
 * so request validation and the response share these schemas. Custom rules carry a stable
 * `params.rule` that becomes `errors[].rule`.
 */
import { z } from "@hono/zod-openapi";
import type { Limits as CoreLimits } from "../../core/policy/attenuate";
import { AMOUNT_TYPE_MESSAGE, ASSET_PATTERN, parseAmount } from "../../core/policy/amounts";
import { MAX_APPROVAL_SECONDS, MAX_APPROVERS, MIN_APPROVAL_SECONDS } from "../../core/policy/approval";
import { parseScope, scopeIssueParams } from "../../core/policy/scopes";
import { PERIODS, type Period as CorePeriod } from "../../core/policy/periods";
import type * as W from "../wire-types";
import type { Assert, Equal, Same } from "./check";

// Spread into zod's options: zod keeps `params` for custom rules though its option type omits it.
const rule = (name: string) => ({ params: { rule: name } });

export const Amount = z
  .string({ error: AMOUNT_TYPE_MESSAGE })
  .superRefine((value, ctx) => {
    const parsed = parseAmount(value);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message, params: { rule: parsed.rule } });
  })
  .openapi({ description: "Decimal string of integer minor units, up to 38 digits", example: "2500" });

export const Asset = z
  .string()
  .regex(ASSET_PATTERN, { message: "an asset code is 2–16 of A–Z, 0–9 and _, starting with a letter", ...rule("asset_format") })
  .openapi({ example: "USD" });

export const Period = z.enum(PERIODS as unknown as [CorePeriod, ...CorePeriod[]]).openapi({ description: "UTC calendar window" });

export const Budget = z.strictObject({ asset: Asset, amount: Amount, period: Period.optional() }).openapi("Budget");

export const RateLimitSchema = z
  .strictObject({
    requests: z.number().int().min(1).max(1_000_000),
    per_seconds: z
      .number()
      .int()
      .min(1)
      .max(31 * 86_400),
  })
  .openapi("RateLimit");

export const ApprovalLine = z.strictObject({ asset: Asset, amount: Amount }).openapi("ApprovalLine", { description: "Amounts strictly greater than this need approval" });

const ApprovalScope = z.string().superRefine((value, ctx) => {
  const parsed = parseScope(value);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error.message, params: scopeIssueParams(parsed.error) });
});

export const ApprovalPolicy = z
  .strictObject({
    over: z.array(ApprovalLine).max(32),
    scopes: z.array(ApprovalScope).max(64).optional(),
    approvers: z.number().int().min(1).max(MAX_APPROVERS).optional().openapi({ description: "Distinct approving keys it takes; default 1" }),
    expires_in: z
      .number()
      .int()
      .min(MIN_APPROVAL_SECONDS)
      .max(MAX_APPROVAL_SECONDS)
      .optional()
      .openapi({ description: "Seconds an approval waits before it expires (never a yes); default 600, capped at the session's end" }),
  })
  .superRefine((a, ctx) => {
    if (a.over.length === 0 && (a.scopes ?? []).length === 0)
      ctx.addIssue({ code: "custom", path: ["over"], message: "an approval needs a line (over) or scopes", params: { rule: "empty_approval" } });
    const seen = new Set<string>();
    a.over.forEach((l, i) => {
      if (seen.has(l.asset)) ctx.addIssue({ code: "custom", path: ["over", i, "asset"], message: `a second line in ${l.asset}`, params: { rule: "duplicate_line" } });
      seen.add(l.asset);
    });
  })
  .openapi("ApprovalPolicy", {
    description: "Actions whose amount is strictly over the line for its asset, or whose scope is covered by `scopes`, wait for `approvers` people",
  });

export const Limits = z
  .strictObject({
    calls: z.number().int().min(0).max(1_000_000_000).optional(),
    rate: RateLimitSchema.optional(),
    budgets: z.array(Budget).max(32).optional(),
    approval: ApprovalPolicy.optional(),
  })
  .superRefine((limits, ctx) => {
    const seen = new Set<string>();
    (limits.budgets ?? []).forEach((b, i) => {
      const key = `${b.asset}/${b.period ?? "life"}`;
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["budgets", i], message: `a second ${key} budget`, params: { rule: "duplicate_budget" } });
      seen.add(key);
    });
  })
  .openapi("Limits");

export type Limits = W.Limits;
export type Budget = W.Budget;
export type RateLimit = W.RateLimit;
export type Period = W.Period;

// The plain types the SDK publishes must be exactly what the schemas validate and document.
export type _LimitsWire = Assert<Equal<z.output<typeof Limits>, Limits>>;
export type _BudgetWire = Assert<Equal<z.output<typeof Budget>, Budget>>;
export type _RateLimitWire = Assert<Equal<z.output<typeof RateLimitSchema>, RateLimit>>;
export type _PeriodWire = Assert<Equal<z.output<typeof Period>, Period>>;

// Core's policy code owns these shapes; the wire must say exactly the same.
export type _LimitsTie = Assert<Same<Limits, CoreLimits>>;
export type _PeriodTie = Assert<Same<Period, CorePeriod>>;
