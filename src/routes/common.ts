/** What every route shares: JSON bodies, problem responses in the OpenAPI document, and zod issues as named field errors. */
import { z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../middleware/auth";
import { PROBLEMS, problem, RemitError, type ProblemName, type FieldError } from "../core/errors";
import { Problem } from "../contract/wire/problem";
import { AMOUNT_TYPE_MESSAGE } from "../core/policy/amounts";
import { amountAdvice, amountExample, type DecimalsTable } from "../core/policy/money";

export const MAX_BODY_BYTES = 64 * 1024;

/** Response entries of the OpenAPI document for the problems a route can answer with. */
export function problems(...names: ProblemName[]) {
  const out: Record<number, { description: string; content: { "application/problem+json": { schema: typeof Problem } } }> = {};
  for (const name of names) {
    const { status } = PROBLEMS[name];
    const prior = out[status]?.description;
    out[status] = {
      description: prior ? `${prior}, ${name}` : name,
      content: { "application/problem+json": { schema: Problem } },
    };
  }
  return out;
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const body = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

/** DELETE: optional (deleting converges by itself). */
export const IdempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .optional()
    .openapi({ param: { name: "idempotency-key", in: "header" }, description: "Retries with the same key and body return the first result; kept 24 h" }),
});

/**
 * POST and PATCH of agents and principals: required. Checked by `idempotencyOf`
 * (src/http.ts), which words the refusal; the schema says so in the document.
 */
export const RequiredIdempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header", required: true },
      description: "Required: a fresh key (a UUID) per call. Retries with the same key and body return the first result; kept 24 h",
    }),
});

export const AGENT_SECURITY = [{ DPoP: [] }];
export const PRINCIPAL_SECURITY = [{ ApiKey: [] }];
export const ADMIN_SECURITY = [{ Operator: [] }];

/** The value at `path` in `input`, or undefined when any step is missing. */
function at(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
const ZOD_TYPE = /^Invalid input: expected (\w+), received (\w+)$/;

/**
 * Turns zod issues into `errors[]` naming each field, the rule it broke and how to fix
 * it. `input` is what was validated: it tells a missing field (`required`) from a wrong
 * one, and gives an amount's sibling `asset`, whose decimals (`decimals`, from
 * ASSET_DECIMALS, then ISO 4217) turn `12.50` into the `"1250"` to send.
 */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], root: string, input?: unknown, decimals: DecimalsTable = {}): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) {
    const base = issue.path.map(String).join(".");
    const field = base || root;
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ field: base ? `${base}.${key}` : key, rule: "unknown_field", message: `${key} is not a known field; remove it` });
      continue;
    }
    const value = at(input, issue.path);
    const amountType = issue.code === "invalid_type" && issue.message === AMOUNT_TYPE_MESSAGE;
    const zodType = ZOD_TYPE.exec(issue.message);
    if (issue.code === "invalid_type" && value === undefined) {
      const hint = zodType ? article(zodType[1]!) : issue.message.replace(/^must be /, "");
      const example = amountType ? `, e.g. ${amountExample(undefined)}` : "";
      out.push({ field, rule: "required", message: `is required: ${hint}${example}` });
      continue;
    }
    const params = (issue as { params?: { rule?: string; suggestion?: string; example?: string } }).params;
    const rule = amountType
      ? "amount_type"
      : (params?.rule ?? (issue.code === "invalid_format" ? `format_${(issue as { format?: string }).format ?? "string"}` : issue.code));
    if (rule === "amount_type" || rule === "amount_format") {
      const sibling = at(input, issue.path.slice(0, -1));
      const asset = typeof sibling === "object" && sibling !== null ? (sibling as { asset?: unknown }).asset : undefined;
      const advice = amountAdvice(value, typeof asset === "string" ? asset : undefined, decimals);
      out.push({ field, rule, message: advice.message, ...(advice.suggestion ? { suggestion: advice.suggestion } : {}) });
      continue;
    }
    const message = zodType ? `must be ${article(zodType[1]!)}, not ${article(zodType[2]!)}` : issue.message;
    out.push({
      field,
      rule,
      message,
      ...(params?.suggestion ? { suggestion: params.suggestion } : {}),
      ...(params?.example ? { example: params.example } : {}),
    });
  }
  return out;
}

/**
 * Bodies: JSON only, bounded in size, well-formed. Runs before the zod validator
 * so each failure has its own problem.
 */
export const jsonBody = createMiddleware<AppEnv>(async (c, next) => {
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) throw new RemitError(problem("payload-too-large", `bodies are at most ${MAX_BODY_BYTES} bytes`));
  const text = await c.req.text();
  if (text.length === 0) {
    // An empty body stands for `{}` on calls whose fields are all optional.
    await next();
    return;
  }
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(?:[a-z0-9.+-]*\+)?json\s*(?:;|$)/i.test(type)) throw new RemitError(problem("unsupported-media-type", "send the body as application/json"));
  if (new TextEncoder().encode(text).length > MAX_BODY_BYTES) throw new RemitError(problem("payload-too-large", `bodies are at most ${MAX_BODY_BYTES} bytes`));
  try {
    JSON.parse(text);
  } catch {
    throw new RemitError(problem("validation-failed", "the body is not valid JSON", { errors: [{ field: "body", rule: "json_syntax", message: "is not valid JSON" }] }));
  }
  await next();
});
