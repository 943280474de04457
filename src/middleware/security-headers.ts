/**
 * Response hardening for every answer the worker gives. API responses can carry secrets
 * (a new API key, a session token, a webhook secret), so nothing may be cached unless a
 * route says its data is public; no response may be sniffed into another type; and an
 * HTML page runs only what its own policy names and is never framed.
 */
import type { MiddlewareHandler } from "hono";

/** The policy of an HTML page that declares none of its own: inert markup, nothing loaded. */
export const STRICT_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  const headers = c.res.headers;
  headers.set("X-Content-Type-Options", "nosniff");
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
  if ((headers.get("Content-Type") ?? "").startsWith("text/html")) {
    if (!headers.has("Content-Security-Policy")) headers.set("Content-Security-Policy", STRICT_PAGE_CSP);
    headers.set("X-Frame-Options", "DENY");
    // A page may ask for `same-origin` (the dashboard: its forms' Origin header must be real, not "null").
    if (!headers.has("Referrer-Policy")) headers.set("Referrer-Policy", "no-referrer");
  }
};
