import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./middleware/auth";
import { securityHeaders } from "./middleware/security-headers";
import { problem, problemResponse, RemitError } from "./core/errors";
import { baseUrl } from "./http";
import { requestLog } from "./middleware/request-log";
import { agent } from "./routes/agent";
import { assets } from "./routes/assets";
import { approvals } from "./routes/approvals";
import { docsPage } from "./routes/docs";
import { dashboard } from "./dashboard/routes";
import { fieldErrors } from "./routes/common";
import { governance } from "./routes/governance";
import { holds } from "./routes/holds";
import { meta } from "./routes/meta";
import { principals } from "./routes/principals";
import { receipts } from "./routes/receipts";
import { sessions } from "./routes/sessions";
import { settlement } from "./routes/settlement";
import { webhooks } from "./routes/webhooks";
import { tripwires } from "./routes/tripwires";
import { events } from "./routes/events";
import { registerWebhookEvents } from "./core/webhooks/events";
import { documentOperations } from "./routes/operation-docs";
import { parseAssetDecimals } from "./core/policy/money";

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        // @hono/zod-validator passes what it validated as `data` on failure too (its type leaves it out).
        const errors = fieldErrors(
          result.error.issues,
          result.target === "json" ? "body" : result.target,
          (result as { data?: unknown }).data,
          configuredDecimals(c.env.ASSET_DECIMALS),
        );
        throw new RemitError(problem("validation-failed", errors.map((e) => `${e.field}: ${e.message}`).join("; "), { errors }));
      }
    },
  });

  // First, so its line and latency cover every request, preflights and refusals included.
  app.use("*", requestLog);
  app.use("*", securityHeaders);
  // Authentication travels in headers, never cookies, so any origin may call the API from a browser.
  app.use(
    "*",
    cors({
      origin: "*",
      allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
      allowHeaders: ["authorization", "dpop", "content-type", "idempotency-key", "last-event-id"],
      exposeHeaders: ["request-id", "ratelimit", "ratelimit-policy", "retry-after", "idempotent-replayed", "www-authenticate", "location"],
      maxAge: 600,
    }),
  );
  app.route("/", meta);
  app.route("/", assets);
  app.route("/", principals);
  app.route("/", governance); // before sessions: /v1/sessions/revoke is not a session id
  app.route("/", sessions);
  app.route("/", agent);
  app.route("/", holds);
  app.route("/", approvals);
  app.route("/", receipts);
  app.route("/", settlement);
  app.route("/", webhooks);
  app.route("/", tripwires);
  app.route("/", events);
  registerWebhookEvents(app.openAPIRegistry);
  documentOperations(app.openAPIRegistry);

  app.openAPIRegistry.registerComponent("securitySchemes", "ApiKey", { type: "http", scheme: "bearer", description: "A principal's API key, rmt_…" });
  app.openAPIRegistry.registerComponent("securitySchemes", "Operator", { type: "http", scheme: "bearer", description: "REMIT_ADMIN_TOKEN" });
  app.openAPIRegistry.registerComponent("securitySchemes", "DPoP", {
    type: "http",
    scheme: "dpop",
    description: "Authorization: DPoP <session token>, with a DPoP proof header (RFC 9449), alg Ed25519 or EdDSA",
  });
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: { title: "Remit API", version: "1.0.0", description: "Bounded authority for autonomous agents." },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
  app.get("/docs", docsPage);
  // The landing page and the dashboard (cookie sign-in, CSRF, strict CSP): src/dashboard/.
  app.route("/", dashboard);

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const allowed = allowedMethods(app, path);
    if (allowed.length > 0 && !allowed.includes(c.req.method))
      return problemResponse(problem("method-not-allowed", `${c.req.method} is not allowed on ${path}`, { allow: allowed }, { Allow: allowed.join(", ") }), baseUrl(c));
    return problemResponse(problem("not-found", `nothing at ${c.req.method} ${path}`), baseUrl(c));
  });
  app.onError((err, c) => {
    if (err instanceof RemitError) return problemResponse(err.problem, baseUrl(c));
    if (err instanceof HTTPException) {
      if (err.status === 415) return problemResponse(problem("unsupported-media-type", "send the body as application/json"), baseUrl(c));
      if (err.status === 400)
        return problemResponse(
          problem("validation-failed", "the body is not valid JSON", { errors: [{ field: "body", rule: "json_syntax", message: err.message }] }),
          baseUrl(c),
        );
    }
    console.error("unhandled", err);
    return problemResponse(problem("internal-error", "something failed on our side; it was logged"), baseUrl(c));
  });
  return app;
}

export type App = ReturnType<typeof createApp>;

/** ASSET_DECIMALS for the hints of a refused amount; a malformed table (refused at deploy) gives none rather than a 500. */
function configuredDecimals(text: string | undefined): Record<string, number> {
  try {
    return parseAssetDecimals(text);
  } catch {
    return {};
  }
}

/** The methods some route serves at `path`, for a 405 with `Allow` rather than a 404. */
function allowedMethods(app: OpenAPIHono<AppEnv>, path: string): string[] {
  const methods = new Set<string>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue;
    const pattern = new RegExp(`^${r.path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:\w+/g, "[^/]+")}$`);
    if (pattern.test(path)) methods.add(r.method);
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}
