/**
 * The browsable API reference at /docs, loading nothing from any other host: the reference's
 * script is the installed @scalar/api-reference bundle, served by this worker as a static asset
 * (/static/scalar.js, built by scripts/build-assets.mjs), without its web fonts or telemetry.
 * Scalar's page starts the reference with an inline script, so each response gets a fresh nonce
 * and a policy that allows exactly that script and this origin's, and forbids framing.
 */
import { Scalar } from "@scalar/hono-api-reference";
import type { Context } from "hono";
import { b64urlEncode } from "../core/encoding";

/** Where the reference's script is served (an asset of this worker). */
export const SCALAR_SCRIPT = "/static/scalar.js";

const reference = Scalar({ url: "/openapi.json", pageTitle: "Remit API", cdn: SCALAR_SCRIPT, withDefaultFonts: false, telemetry: false });

export async function docsPage(c: Context): Promise<Response> {
  const page = (await reference(c, async () => {})) as Response;
  const nonce = b64urlEncode(crypto.getRandomValues(new Uint8Array(16)));
  const html = (await page.text()).replace(/<script(?=[\s>])/g, `<script nonce="${nonce}"`);
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    // The reference styles itself at run time.
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join("; ");
  return c.html(html, 200, { "Content-Security-Policy": csp });
}
