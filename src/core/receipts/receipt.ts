/**
 * Receipts: the signed record of a committed spend or counted action.
 *
 * `bytes` is the RFC 8785 canonical JSON of `receipt`; the Ed25519 signature is
 * over utf8(bytes) and the Merkle leaf is SHA-256(0x00 || utf8(bytes)) (RFC 9162).
 * The signature does not enter the leaf: the leaf commits to what was signed.
 */
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { b64urlDecode, b64urlEncode, hex, utf8 } from "../encoding";
import { canonicalize } from "./jcs";
import { leafHash } from "./merkle";

ed.hashes.sha512 = sha512;

export type ReceiptKind = "authorize" | "capture" | "void" | "denial";

/**
 * One periodic budget window a committed amount was charged to. The rule: a direct
 * spend is charged to the window current when it was debited; a capture to the window
 * its hold was made in (where the amount was reserved and counted), however much later
 * it is captured. So every committed amount lands in exactly one window of each periodic
 * budget, and no window is attributed more than its limit. Lifetime budgets have no window.
 */
export interface ChargedWindow {
  session: string;
  asset: string;
  period: "hour" | "day" | "week" | "month";
  window_start: string; // RFC 3339, ms, UTC
}

/**
 * On a receipt that closes an approval: which approval, who decided it (the API key
 * ids, in vote order; empty for a timeout or a cancel) and when, and the approver's
 * note or the denial's reason.
 */
export interface ReceiptApproval {
  id: string; // apr_…
  decided_by: string[];
  decided_at: string; // RFC 3339, ms, UTC
  note: string | null;
}

export interface Receipt {
  v: 1;
  id: string; // rcp_…
  kind: ReceiptKind;
  tree: string;
  session: string;
  path: string[]; // root … session
  principal: string;
  scope: string | null;
  asset: string | null;
  amount: string | null; // decimal string of integer minor units
  request_digest: string | null;
  reason: string | null; // denial problem name
  hold: string | null;
  /**
   * On receipts that commit an amount (an authorize with one, a capture): every periodic
   * budget window up the chain it was charged to. Absent on other receipts, and on
   * receipts signed before the member existed (which still parse and verify).
   */
  charged_to?: ChargedWindow[];
  /** On receipts that close an approval (approved, denied, expired, canceled); absent on every other receipt and on older ones. */
  approval?: ReceiptApproval;
  /** On a denial with reason `tripwire`: the id of the trip-wire rule that refused it. Absent elsewhere. */
  tripwire?: string;
  seq: number; // per tree
  at: string; // RFC 3339, ms, UTC
  kid: string;
}

export interface SignedReceipt {
  receipt: Receipt;
  bytes: string; // the canonical JSON, exactly as hashed
  signature: string; // base64url Ed25519 over utf8(bytes)
  leaf_hash: string; // hex
}

/** Signs a message with an Ed25519 key; returns the 64-byte signature. */
export type Signer = (message: Uint8Array) => Promise<Uint8Array>;

export interface Ed25519PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
}

const KINDS: readonly string[] = ["authorize", "capture", "void", "denial"];
const FIELDS = ["v", "id", "kind", "tree", "session", "path", "principal", "scope", "asset", "amount", "request_digest", "reason", "hold", "seq", "at", "kid"] as const;
/** Members a receipt may omit; when present they are signed like the rest. */
const OPTIONAL = ["charged_to", "approval", "tripwire"] as const;
const APPROVAL_FIELDS = ["id", "decided_by", "decided_at", "note"] as const;
const CHARGED_FIELDS = ["session", "asset", "period", "window_start"] as const;
const PERIODS: readonly string[] = ["hour", "day", "week", "month"];
const NULLABLE = ["scope", "asset", "amount", "request_digest", "reason", "hold"] as const;
const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const AMOUNT = /^(0|[1-9][0-9]*)$/;

/** Why `value` is not a well-formed receipt, or null when it is. */
export function receiptProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "a receipt must be an object";
  const r = value as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!(FIELDS as readonly string[]).includes(k) && !(OPTIONAL as readonly string[]).includes(k)) return `unknown member "${k}"`;
  for (const k of FIELDS) if (!(k in r)) return `missing member "${k}"`;
  if (r.v !== 1) return '"v" must be 1';
  if (typeof r.id !== "string" || !r.id.startsWith("rcp_")) return '"id" must be an rcp_ id';
  if (typeof r.kind !== "string" || !KINDS.includes(r.kind)) return `"kind" must be one of ${KINDS.join(", ")}`;
  for (const k of ["tree", "session", "principal", "kid"] as const) {
    if (typeof r[k] !== "string" || r[k] === "") return `"${k}" must be a non-empty string`;
  }
  if (!Array.isArray(r.path) || r.path.length === 0 || !r.path.every((s) => typeof s === "string")) {
    return '"path" must be a non-empty array of session ids';
  }
  if (r.path[r.path.length - 1] !== r.session) return '"path" must end with "session"';
  for (const k of NULLABLE) if (r[k] !== null && typeof r[k] !== "string") return `"${k}" must be a string or null`;
  if (typeof r.amount === "string" && !AMOUNT.test(r.amount)) return '"amount" must be a decimal integer string';
  if (typeof r.seq !== "number" || !Number.isSafeInteger(r.seq) || r.seq < 0) return '"seq" must be a non-negative integer';
  if (typeof r.at !== "string" || !AT.test(r.at) || Number.isNaN(Date.parse(r.at))) {
    return '"at" must be RFC 3339 UTC with milliseconds (YYYY-MM-DDTHH:MM:SS.sssZ)';
  }
  if ("tripwire" in r && (r.kind !== "denial" || r.reason !== "tripwire" || typeof r.tripwire !== "string" || !r.tripwire.startsWith("trw_")))
    return '"tripwire" belongs only to a denial with reason "tripwire", and is a trw_ id';
  if ("charged_to" in r) {
    const charged = chargedToProblem(r);
    if (charged) return charged;
  }
  if ("approval" in r) return approvalProblem(r.approval);
  return null;
}

function approvalProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return '"approval" must be an object';
  const a = value as Record<string, unknown>;
  for (const k of Object.keys(a)) if (!(APPROVAL_FIELDS as readonly string[]).includes(k)) return `unknown member "approval.${k}"`;
  for (const k of APPROVAL_FIELDS) if (!(k in a)) return `missing member "approval.${k}"`;
  if (typeof a.id !== "string" || !a.id.startsWith("apr_")) return '"approval.id" must be an apr_ id';
  if (!Array.isArray(a.decided_by) || !a.decided_by.every((k) => typeof k === "string" && k !== "")) return '"approval.decided_by" must be an array of key ids';
  if (typeof a.decided_at !== "string" || !AT.test(a.decided_at) || Number.isNaN(Date.parse(a.decided_at)))
    return '"approval.decided_at" must be RFC 3339 UTC with milliseconds';
  if (a.note !== null && typeof a.note !== "string") return '"approval.note" must be a string or null';
  return null;
}

function chargedToProblem(r: Record<string, unknown>): string | null {
  if ((r.kind !== "authorize" && r.kind !== "capture") || typeof r.amount !== "string") return '"charged_to" belongs only to a receipt that commits an amount';
  if (!Array.isArray(r.charged_to)) return '"charged_to" must be an array';
  for (const c of r.charged_to as unknown[]) {
    if (typeof c !== "object" || c === null || Array.isArray(c)) return '"charged_to" entries must be objects';
    const w = c as Record<string, unknown>;
    for (const k of Object.keys(w)) if (!(CHARGED_FIELDS as readonly string[]).includes(k)) return `unknown member "charged_to.${k}"`;
    for (const k of CHARGED_FIELDS) if (!(k in w)) return `missing member "charged_to.${k}"`;
    if (typeof w.session !== "string" || !(r.path as string[]).includes(w.session)) return '"charged_to.session" must be a session of "path"';
    if (w.asset !== r.asset) return '"charged_to.asset" must be the receipt\'s "asset"';
    if (typeof w.period !== "string" || !PERIODS.includes(w.period)) return `"charged_to.period" must be one of ${PERIODS.join(", ")}`;
    if (typeof w.window_start !== "string" || !AT.test(w.window_start) || Number.isNaN(Date.parse(w.window_start))) {
      return '"charged_to.window_start" must be RFC 3339 UTC with milliseconds';
    }
  }
  return null;
}

/** The canonical bytes (as a string) of a well-formed receipt; throws on a malformed one. */
export function receiptBytes(receipt: Receipt): string {
  const problem = receiptProblem(receipt);
  if (problem) throw new TypeError(`receipt: ${problem}`);
  return canonicalize(receipt);
}

/** The RFC 9162 leaf hash of a receipt's canonical bytes. */
export function receiptLeaf(bytes: string): Uint8Array {
  return leafHash(utf8(bytes));
}

/** Signs with a 32-byte Ed25519 seed or a `Signer` (e.g. one backed by a non-extractable CryptoKey). */
export async function signReceipt(receipt: Receipt, key: Uint8Array | Signer): Promise<SignedReceipt> {
  const bytes = receiptBytes(receipt);
  const message = utf8(bytes);
  const signature = typeof key === "function" ? await key(message) : ed.sign(message, checkSeed(key));
  return assemble(receipt, bytes, signature);
}

/**
 * Synchronous signing, for a Durable Object that signs inside one synchronous
 * transaction: with a seed (noble), or with a synchronous signer (e.g. the runtime's
 * native Ed25519), which is several times faster in a worker.
 */
export function signReceiptSync(receipt: Receipt, key: Uint8Array | ((message: Uint8Array) => Uint8Array)): SignedReceipt {
  const bytes = receiptBytes(receipt);
  const message = utf8(bytes);
  return assemble(receipt, bytes, typeof key === "function" ? key(message) : ed.sign(message, checkSeed(key)));
}

function assemble(receipt: Receipt, bytes: string, signature: Uint8Array): SignedReceipt {
  if (signature.length !== 64) throw new Error("receipt: an Ed25519 signature is 64 bytes");
  return { receipt, bytes, signature: b64urlEncode(signature), leaf_hash: hex(receiptLeaf(bytes)) };
}

/**
 * True when `signature` is a valid Ed25519 signature by `jwk` over utf8(bytes) and
 * `bytes` is exactly the canonical form of `receipt` (so the fields a reader sees are
 * the fields that were signed). Strict RFC 8032 verification (no ZIP-215 leniency).
 */
export function verifyReceiptSignature(signed: SignedReceipt, jwk: Ed25519PublicJwk): boolean {
  try {
    if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") return false;
    const publicKey = b64urlDecode(jwk.x);
    const signature = b64urlDecode(signed.signature);
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    if (typeof signed.bytes !== "string" || canonicalize(signed.receipt) !== signed.bytes) return false;
    return ed.verify(signature, utf8(signed.bytes), publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** The public JWK of a 32-byte Ed25519 seed. */
export function publicJwkOf(seed: Uint8Array): Ed25519PublicJwk {
  return { kty: "OKP", crv: "Ed25519", x: b64urlEncode(ed.getPublicKey(checkSeed(seed))) };
}

const PKCS8_ED25519_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/**
 * A `Signer` for a seed: imports it once as a non-extractable WebCrypto Ed25519 key
 * (faster where the runtime has it) and falls back to @noble/ed25519 otherwise.
 * Ed25519 is deterministic, so both give the same signature.
 */
export function seedSigner(seed: Uint8Array): Signer {
  const own = checkSeed(seed).slice();
  const pkcs8 = new Uint8Array(48);
  pkcs8.set(PKCS8_ED25519_PREFIX);
  pkcs8.set(own, 16);
  const key: Promise<CryptoKey | null> = (async () => {
    try {
      return await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
    } catch {
      return null;
    }
  })();
  return async (message) => {
    const k = await key;
    if (!k) return ed.sign(message, own);
    return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, k, message as Uint8Array<ArrayBuffer>));
  };
}

function checkSeed(seed: Uint8Array): Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new TypeError("an Ed25519 seed is 32 bytes");
  return seed;
}
