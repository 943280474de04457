/**
 * The browsable API reference at /docs. Scalar's page carries inline scripts, so each
 * response gets a fresh nonce and a policy that allows exactly those scripts and the
 * reference's own bundle, and forbids framing.
 */
import { Scalar } from "@scalar/hono-api-reference";
import type { Context } from "hono";
import { b64urlEncode } from "../core/encoding";

const reference = Scalar({ url: "/openapi.json", pageTitle: "Remit API" });
const CDN = "https://cdn.jsdelivr.net";

export async function docsPage(c: Context): Promise<Response> {
  const page = (await reference(c, async () => {})) as Response;
  const nonce = b64urlEncode(crypto.getRandomValues(new Uint8Array(16)));
  const html = (await page.text()).replace(/<script(?=[\s>])/g, `<script nonce="${nonce}"`);
  const csp = [
    "default-src 'self'",
    `script-src 'nonce-${nonce}' ${CDN}`,
    // The reference styles itself at run time.
    `style-src 'self' 'unsafe-inline' ${CDN} https://fonts.scalar.com`,
    "font-src 'self' data: https://fonts.scalar.com",
    "img-src 'self' data: https:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join("; ");
  return c.html(html, 200, { "Content-Security-Policy": csp });
}
