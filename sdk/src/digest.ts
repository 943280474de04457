/**
 * Request digests: what an authorization says it is for. The service records the
 * digest in the receipt (`request_digest`, lowercase hex SHA-256), so a tool server
 * or an auditor can check that a receipt was issued for exactly this call.
 *
 *   tool call      SHA-256(JCS({ "tool": name, "arguments": args }))
 *   HTTP request   SHA-256(JCS({ "method": METHOD, "url": href, "body_sha256"?: hex }))
 *
 * JCS is RFC 8785 (src/core/receipts/jcs.ts, the service's own canonicalizer), so
 * the SDK, the MCP gateway and tool servers compute the same bytes whatever the key
 * order or whitespace of the arguments they received.
 */
import { hex, sha256 } from "../../src/core/encoding";
import { canonicalize } from "../../src/core/receipts/jcs";

/**
 * The request digest of a tool call: lowercase hex SHA-256 of the RFC 8785 canonical
 * JSON of `{ "tool": name, "arguments": args }`. Throws a TypeError for arguments
 * JSON cannot carry (bigints, non-finite numbers, lone surrogates, cycles).
 */
export async function toolCallDigest(name: string, args: unknown): Promise<string> {
  if (typeof name !== "string" || name === "") throw new TypeError("a tool call digest needs the tool's name");
  return hex(await sha256(canonicalize({ tool: name, arguments: args === undefined ? null : args })));
}

/** What an HTTP request digest covers. */
export interface HttpRequestDigestInput {
  /** Upper-cased before hashing. */
  method: string;
  /** The absolute URL; hashed as the WHATWG URL serializer writes it (query included, fragment dropped). */
  url: string;
  /** The body, when there is one: its bytes, or a string (hashed as UTF-8). */
  body?: Uint8Array | ArrayBuffer | string | null;
}

/**
 * The request digest of an HTTP request: lowercase hex SHA-256 of the RFC 8785
 * canonical JSON of `{ "method", "url", "body_sha256" }`, where `method` is
 * upper-case, `url` is the absolute URL without its fragment, and `body_sha256`
 * (the lowercase hex SHA-256 of the body's bytes) is present only when the request
 * has a body. Headers are not covered.
 */
export async function httpRequestDigest(input: HttpRequestDigestInput): Promise<string> {
  const url = new URL(input.url);
  url.hash = "";
  const doc: Record<string, string> = { method: input.method.toUpperCase(), url: url.href };
  const body = input.body;
  if (body !== null && body !== undefined)
    doc.body_sha256 = hex(await sha256(typeof body === "string" ? body : new Uint8Array(body instanceof ArrayBuffer ? body : body.slice())));
  return hex(await sha256(canonicalize(doc)));
}
