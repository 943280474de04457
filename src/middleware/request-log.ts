/**
 * One structured log line per request (Workers Logs indexes the JSON fields; wrangler.toml
 * turns [observability] on), and a `Request-Id` response header to quote when asking about it.
 *
 * What a line holds is chosen so that it can never carry a secret: the method, the matched
 * route pattern (`/v1/sessions/:id`, never the raw path or its query string, which may carry
 * tokens), status, allowed/refused, the problem name of a refusal, the principal or session id
 * the auth middleware established (ids, not credentials), and latency. No header is logged
 * (Authorization and DPoP hold tokens and proofs), no body, no query string, no key or token.
 * test/e2e/log-secrets.test.ts holds a real stack to that; test/unit/middleware/request-log.test.ts the fields.
 *
 * REMIT_REQUEST_LOG = "off" silences it (the workers test project does, to keep its output readable).
 */
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import type { RequestLogLine } from "../contract/log";
import type { AppEnv } from "./auth";

export type { RequestLogLine };

/** A ray id looks like `8f1c2a3b4d5e6f70-AMS`; anything else from the client is not trusted into our logs. */
const RAY = /^[0-9a-f]{16}(?:-[A-Z]{3})?$/;

/** The route pattern of the handler that answered: the last matched route that is not middleware. */
function routePattern(c: Parameters<Parameters<typeof createMiddleware<AppEnv>>[0]>[0]): string | null {
  const routes = matchedRoutes(c).filter((r) => r.method !== "ALL");
  return routes.at(-1)?.path ?? null;
}

/** `https://…/problems/budget-exceeded` → `budget-exceeded`; only a plain name gets into the log. */
function problemName(type: unknown): string | undefined {
  if (typeof type !== "string") return undefined;
  const name = type.split(/[/#]/).pop() ?? "";
  return /^[a-z0-9-]{1,64}$/.test(name) ? name : undefined;
}

export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  // Workers advance the clock only across I/O: latency is what the request waited on, which is what matters.
  const started = performance.now();
  const ray = c.req.header("cf-ray");
  const requestId = ray && RAY.test(ray) ? ray : crypto.randomUUID();
  await next();

  try {
    c.res.headers.set("Request-Id", requestId);
  } catch {
    // immutable headers (a response passed through from fetch): copy it
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set("Request-Id", requestId);
  }
  if (c.env?.REMIT_REQUEST_LOG === "off") return;

  const status = c.res.status;
  const refused = status >= 400;
  let problem: string | undefined;
  if (refused && (c.res.headers.get("content-type") ?? "").startsWith("application/problem+json")) {
    try {
      problem = problemName(((await c.res.clone().json()) as { type?: unknown }).type);
    } catch {
      // not JSON after all: the status says enough
    }
  }
  const principal = c.get("principalId");
  const session = c.get("agent")?.claims.sub;
  const line: RequestLogLine = {
    msg: "request",
    level: status >= 500 ? "error" : refused ? "warn" : "info",
    request_id: requestId,
    method: c.req.method,
    route: routePattern(c),
    status,
    decision: refused ? "refused" : "allowed",
    ...(problem ? { problem } : {}),
    ...(principal ? { principal } : {}),
    ...(session ? { session } : {}),
    latency_ms: Math.round(performance.now() - started),
  };
  console.log(JSON.stringify(line));
});
