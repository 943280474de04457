import type { Context, TypedResponse } from "hono";
import { hex, sha256 } from "./core/encoding";
import type { Env } from "./contract/env";
import { RemitError, validationFailed, type Outcome } from "./core/errors";

/** The base of problem `type` URLs and the token issuer. */
// biome-ignore lint/suspicious/noExplicitAny: any app's context will do; only env and the URL are read
export function baseUrl(c: Context<any>): string {
  return c.env.REMIT_BASE_URL?.replace(/\/$/, "") ?? new URL(c.req.url).origin;
}

export function issuer(env: Env): string {
  return env.REMIT_BASE_URL?.replace(/\/$/, "") ?? "remit";
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` with the request's fingerprint (method, path, body): the same key
 * with another request is refused rather than replayed.
 *
 * Required on every POST and PATCH of an agent or a principal (every route that calls
 * this): a retry without one could grant, spend, hold or rotate twice. Optional on
 * DELETE, which converges by itself (revoking a key or deleting an endpoint twice ends
 * in the same state). Refused before any object is reached, so nothing changes and an
 * agent's DPoP proof is not spent.
 */
export async function idempotencyOf(c: Context): Promise<{ key: string; fingerprint: string } | null> {
  const key = c.req.header("idempotency-key");
  if (key === undefined) {
    if (c.req.method === "DELETE") return null;
    validationFailed(
      [
        {
          field: "Idempotency-Key",
          rule: "idempotency_key_required",
          message: "this call changes state and must carry one: send `Idempotency-Key: <uuid>`; retries with the same key return the first result",
        },
      ],
      `Idempotency-Key is required on ${c.req.method} ${new URL(c.req.url).pathname}: send \`Idempotency-Key: <uuid>\` (a fresh one per call); retries with the same key return the first result`,
    );
  }
  if (!IDEMPOTENCY_KEY.test(key))
    validationFailed([{ field: "Idempotency-Key", rule: "idempotency_key_format", message: "must be 1 to 255 printable ASCII characters" }]);
  const body = c.req.method === "GET" ? "" : await c.req.text();
  const fingerprint = hex(await sha256(`${c.req.method} ${new URL(c.req.url).pathname}\n${body}`));
  return { key, fingerprint };
}

export interface DecisionResult<T> {
  outcome: Outcome<T>;
  replayed?: boolean;
  rateLimit?: Record<string, string>;
}

/** Turns a Durable Object's answer into the response: refusals become problems, with their headers. */
export function respond<T, B>(
  c: Context,
  result: DecisionResult<T>,
  status: 200 | 201,
  shape: (value: T) => B = (v) => v as unknown as B,
  // The shapes are declared by the route's zod schemas; the Durable Object's types are checked at the call.
  // biome-ignore lint/suspicious/noExplicitAny: the route's schema, not this helper, types the body
): Response & TypedResponse<any, any, "json"> {
  const headers: Record<string, string> = { ...(result.rateLimit ?? {}) };
  if (result.replayed) headers["Idempotent-Replayed"] = "true";
  if (!result.outcome.ok) {
    const p = result.outcome.problem;
    throw new RemitError({ ...p, headers: { ...headers, ...(p.headers ?? {}) } });
  }
  // biome-ignore lint/suspicious/noExplicitAny: as above
  return c.json(shape(result.outcome.value) as object, status, headers) as Response & TypedResponse<any, any, "json">;
}
