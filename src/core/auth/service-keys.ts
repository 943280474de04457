/** The service's signing keys: loaded from secrets, native Ed25519 signing, the JWKS and the receipt-key set. */
import { Buffer } from "node:buffer";
import { createPrivateKey, sign as nodeSign } from "node:crypto";
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { b64urlDecode, b64urlEncode } from "../encoding";
import { thumbprint } from "./jwk";

ed.hashes.sha512 = sha512;

/**
 * A service signing key: signs session tokens and receipts. The JWKS publishes the
 * current and previous key (those that may sign session tokens today); every key that
 * ever signed a receipt stays published in the receipt-keys document.
 */
export interface ServiceKey {
  kid: string;
  seed: Uint8Array;
  publicJwk: { kty: "OKP"; crv: "Ed25519"; x: string; kid: string; alg: "EdDSA"; use: "sig" };
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /**
   * Synchronous Ed25519 signature (the runtime's native one, through node:crypto), so a
   * Durable Object can sign inside one synchronous transaction without noble's JS cost.
   */
  sign(message: Uint8Array): Uint8Array;
}

export interface ServiceKeys {
  current: ServiceKey;
  previous: ServiceKey | null;
  byKid: Map<string, ServiceKey>;
}

const PKCS8_ED25519_PREFIX = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

async function loadKey(secret: string): Promise<ServiceKey> {
  const seed = b64urlDecode(secret.trim());
  if (seed.length !== 32) throw new Error("a signing key secret must be a base64url 32-byte Ed25519 seed");
  const x = b64urlEncode(ed.getPublicKey(seed));
  const kid = (await thumbprint({ kty: "OKP", crv: "Ed25519", x })).slice(0, 16);
  const pkcs8 = new Uint8Array(48);
  pkcs8.set(PKCS8_ED25519_PREFIX);
  pkcs8.set(seed, 16);
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  const publicKey = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x }, { name: "Ed25519" }, true, ["verify"]);
  const keyObject = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
  const sign = (message: Uint8Array) => new Uint8Array(nodeSign(null, message, keyObject));
  return { kid, seed, publicJwk: { kty: "OKP", crv: "Ed25519", x, kid, alg: "EdDSA", use: "sig" }, privateKey, publicKey, sign };
}

// Importing keys costs more than verifying with them: keep them per isolate, keyed by the secrets.
let cache: { secrets: string; keys: Promise<ServiceKeys> } | null = null;

export function serviceKeys(env: { REMIT_SIGNING_KEY: string; REMIT_SIGNING_KEY_PREVIOUS?: string }): Promise<ServiceKeys> {
  const secrets = `${env.REMIT_SIGNING_KEY}|${env.REMIT_SIGNING_KEY_PREVIOUS ?? ""}`;
  if (cache?.secrets !== secrets) {
    const keys = (async () => {
      if (!env.REMIT_SIGNING_KEY) throw new Error("REMIT_SIGNING_KEY is not set");
      const current = await loadKey(env.REMIT_SIGNING_KEY);
      const previous = env.REMIT_SIGNING_KEY_PREVIOUS ? await loadKey(env.REMIT_SIGNING_KEY_PREVIOUS) : null;
      const byKid = new Map([[current.kid, current]]);
      if (previous) byKid.set(previous.kid, previous);
      return { current, previous, byKid };
    })();
    cache = { secrets, keys };
  }
  return cache.keys;
}

export function jwks(keys: ServiceKeys): { keys: ServiceKey["publicJwk"][] } {
  return { keys: [keys.current.publicJwk, ...(keys.previous ? [keys.previous.publicJwk] : [])] };
}

/**
 * What the service registers of a key that signs receipts (the Settlement object keeps
 * every one, durable-objects/settlement/receipt-keys.ts): its kid, its public `x`, and
 * whether it is the key this isolate signs with now.
 */
export interface ReceiptKeyInput {
  kid: string;
  x: string;
  current: boolean;
}

/** A registered receipt key: when the service first saw it signing, and when a newer key took over (null while current). */
export interface ReceiptKeyRecord {
  kid: string;
  x: string;
  /** Epoch ms. */
  signing_from: number;
  /** Epoch ms; null while it is the newest key. */
  signing_until: number | null;
}

/** What a registration answers: every registered key, and the inputs it refused (never stored). */
export interface ReceiptKeyRegistration {
  keys: ReceiptKeyRecord[];
  refused: Array<{ kid: string; reason: string }>;
}

/** A key of the receipt-keys document (`/.well-known/receipt-keys.json`): a JWK and its signing window. */
export type ReceiptKeyJwk = ServiceKey["publicJwk"] & { signing_from: string; signing_until: string | null };

/** This isolate's keys as registrations: the current one, and the previous one (which signed before it). */
export function receiptKeyInputs(keys: ServiceKeys): ReceiptKeyInput[] {
  return [
    { kid: keys.current.kid, x: keys.current.publicJwk.x, current: true },
    ...(keys.previous ? [{ kid: keys.previous.kid, x: keys.previous.publicJwk.x, current: false }] : []),
  ];
}

/** The receipt-keys document: every registered key, newest first (the current one, then by when each stopped), as a JWK Set with signing windows. */
export function receiptKeySet(records: ReceiptKeyRecord[]): { keys: ReceiptKeyJwk[] } {
  const until = (r: ReceiptKeyRecord) => r.signing_until ?? Number.POSITIVE_INFINITY;
  const sorted = [...records].sort((a, b) => until(b) - until(a) || b.signing_from - a.signing_from || (a.kid < b.kid ? -1 : 1));
  return {
    keys: sorted.map((r) => ({
      kty: "OKP",
      crv: "Ed25519",
      x: r.x,
      kid: r.kid,
      alg: "EdDSA",
      use: "sig",
      signing_from: new Date(r.signing_from).toISOString(),
      signing_until: r.signing_until === null ? null : new Date(r.signing_until).toISOString(),
    })),
  };
}
