/**
 * Checking a fresh receipt before acting on it (a tool server, an MCP gateway): its
 * Ed25519 signature by a key of the service, and optionally that it is for this
 * call. No anchoring is waited for: that is `verifyReceipt`'s job, later.
 */
import { receiptProblem, verifyReceiptSignature as signatureValid, type Ed25519PublicJwk, type ReceiptKind, type SignedReceipt } from "../../src/core/receipts/receipt";

/** A JWK Set: the service's `/.well-known/jwks.json` or `/.well-known/receipt-keys.json`. */
export interface KeySetLike {
  keys: ReadonlyArray<{ kty: string; crv?: string; x?: string; kid?: string }>;
}

export interface ReceiptSignatureOptions {
  /** The receipt must be for exactly this scope. */
  scope?: string;
  /** The receipt's `request_digest` must be exactly this (e.g. `toolCallDigest(name, args)`). */
  requestDigest?: string;
  /** The kinds accepted (default `authorize` and `capture`: a denial or a void authorizes nothing). */
  kinds?: readonly ReceiptKind[];
  /** The receipt must be at most this many seconds old (by its `at`). */
  maxAgeSeconds?: number;
  /** "Now", in ms since the epoch, for `maxAgeSeconds` (default `Date.now()`). */
  now?: number;
}

export interface ReceiptSignatureResult {
  ok: boolean;
  /** Every check that failed, in order; empty when `ok`. */
  reasons: string[];
}

const DEFAULT_KINDS: readonly ReceiptKind[] = ["authorize", "capture"];
const CLOCK_SKEW_MS = 60_000;

/**
 * Verifies a receipt's signature against a JWK Set (the key named by its `kid`), that
 * its bytes are the canonical form of its fields, and the optional expectations.
 * Never throws for a bad receipt: `{ ok: false, reasons }`. A receipt is proof that
 * the service authorized the action, not that it was not already used: a server that
 * must act once per authorization remembers the receipt ids it has acted on.
 */
export function verifyReceiptSignature(signed: SignedReceipt, jwks: KeySetLike, options: ReceiptSignatureOptions = {}): ReceiptSignatureResult {
  const reasons: string[] = [];
  const receipt = (signed as Partial<SignedReceipt> | null)?.receipt;
  const problem = receiptProblem(receipt);
  if (problem) return { ok: false, reasons: [`receipt: ${problem}`] };
  const r = receipt!;

  const keys = Array.isArray(jwks?.keys) ? jwks.keys : [];
  const jwk = keys.find((k) => k.kid === r.kid);
  if (!jwk) reasons.push(`signature: no key "${r.kid}" in the key set`);
  else if (!signatureValid(signed, jwk as Ed25519PublicJwk)) reasons.push("signature: invalid");

  const kinds = options.kinds ?? DEFAULT_KINDS;
  if (!kinds.includes(r.kind)) reasons.push(`kind: "${r.kind}" is not one of ${kinds.join(", ")}`);
  if (options.scope !== undefined && r.scope !== options.scope) reasons.push(`scope: the receipt is for ${JSON.stringify(r.scope)}, not "${options.scope}"`);
  if (options.requestDigest !== undefined && r.request_digest !== options.requestDigest.toLowerCase()) {
    reasons.push(`request_digest: the receipt is for ${JSON.stringify(r.request_digest)}, not "${options.requestDigest}"`);
  }
  if (options.maxAgeSeconds !== undefined) {
    const age = (options.now ?? Date.now()) - Date.parse(r.at);
    if (age > options.maxAgeSeconds * 1000) reasons.push(`at: the receipt is older than ${options.maxAgeSeconds} s`);
    else if (age < -CLOCK_SKEW_MS) reasons.push("at: the receipt is from the future");
  }
  return { ok: reasons.length === 0, reasons };
}
