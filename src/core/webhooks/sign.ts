/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): secrets are
 * `whsec_<base64>`, the signature is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
 * During a secret rotation both secrets sign and the header carries both, space-separated.
 */
import { b64urlDecode, b64urlEncode, utf8 } from "../encoding";

export const SECRET_PREFIX = "whsec_";
/** Bytes of randomness in a new secret (the spec allows 24–64). */
export const SECRET_BYTES = 32;

export interface WebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

const toBase64 = (bytes: Uint8Array): string => {
  const s = b64urlEncode(bytes).replace(/-/g, "+").replace(/_/g, "/");
  return s + "=".repeat((4 - (s.length % 4)) % 4);
};

export function newSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/** The key bytes of a `whsec_` secret; throws on anything else. */
export function secretKey(secret: string): Uint8Array {
  const body = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : null;
  if (body === null || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new TypeError("not a whsec_ secret");
  const key = b64urlDecode(body.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_"));
  if (key.length < 24 || key.length > 64) throw new TypeError("a webhook secret must hold 24 to 64 bytes");
  return key;
}

/** One `v1,<base64>` signature of `${msgId}.${timestampSeconds}.${body}`. */
export async function signature(secret: string, msgId: string, timestampSeconds: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", secretKey(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, utf8(`${msgId}.${timestampSeconds}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/**
 * The three Standard Webhooks headers. `secrets` is the current secret, or every
 * secret valid now (current first, then the previous one during a rotation).
 */
export async function signHeaders(secrets: string | readonly string[], msgId: string, timestampSeconds: number, body: string): Promise<WebhookHeaders> {
  const list = [...new Set(typeof secrets === "string" ? [secrets] : secrets)];
  if (list.length === 0) throw new TypeError("no signing secret");
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) throw new RangeError("timestamp must be whole seconds");
  if (!/^[\x21-\x7e]+$/.test(msgId)) throw new TypeError("message id must be non-empty printable ASCII without spaces");
  const signatures = await Promise.all(list.map((s) => signature(s, msgId, timestampSeconds, body)));
  return {
    "webhook-id": msgId,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": signatures.join(" "),
  };
}
