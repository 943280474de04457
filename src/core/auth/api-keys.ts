/** API keys: their format, minting with a keyed checksum, parsing and hashing; pure, so the edge refuses a forged key before any object. */
import { hex, sha256, timingSafeEqual, utf8 } from "../encoding";
import { base32, randomToken } from "../ids";
import { derivedHmacKey } from "./derived-key";

/**
 * `rmt_<principal>_<key id>_<secret><checksum>`: the key names its principal and its
 * id, so it is found without scanning; only the SHA-256 of the secret is stored (the
 * secret has 256 bits, so a fast hash is the right one).
 *
 * The checksum is a keyed MAC (HMAC-SHA-256, truncated to 80 bits) over everything
 * before it, so the edge refuses a key the service did not mint before any Durable
 * Object is touched: made-up keys cannot create or wake Principal objects. Its key is
 * derived (HKDF) from the deployment's secret (`apiKeyChecksumMaterial` in
 * src/middleware/auth.ts). It authenticates nothing by itself: the principal's object
 * still compares the secret's hash. Keys minted before the checksum existed (a 52-char
 * last part) no longer parse: they are refused like any malformed key.
 */
export interface ParsedApiKey {
  principal: string;
  keyId: string;
  secret: string;
  /** What the checksum covers (`rmt_<principal>_<key id>_<secret>`) and the checksum. */
  body: string;
  checksum: string;
}

/** Characters of the checksum at the end of a key (16 × 5 = 80 bits). */
export const API_KEY_CHECKSUM_LENGTH = 16;
const SHAPE = /^(rmt_([0-9a-z]{26})_([0-9a-z]{26})_([0-9a-z]{52}))([0-9a-z]{16})$/;

/** The key's parts if it has the shape of a key; says nothing yet about its checksum. */
export function parseApiKey(text: string): ParsedApiKey | null {
  const m = SHAPE.exec(text);
  if (!m) return null;
  return { principal: `prn_${m[2]}`, keyId: `key_${m[3]}`, secret: m[4]!, body: m[1]!, checksum: m[5]! };
}

/** The HMAC key of the checksums: HKDF-SHA-256 of the deployment's secret, for this purpose only. */
export function apiKeyChecksumKey(material: string): Promise<CryptoKey> {
  return derivedHmacKey(material, "remit api key checksum v1");
}

async function checksumOf(key: CryptoKey, body: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(body)));
  return base32(mac.subarray(0, (API_KEY_CHECKSUM_LENGTH * 5) / 8));
}

/** Whether the service minted this key (under this checksum key); constant time. */
export async function hasValidChecksum(key: CryptoKey, parsed: ParsedApiKey): Promise<boolean> {
  return timingSafeEqual(utf8(await checksumOf(key, parsed.body)), utf8(parsed.checksum));
}

export async function mintApiKey(checksumKey: CryptoKey, principal: string, keyId: string): Promise<{ key: string; secret: string }> {
  const secret = randomToken(32).slice(0, 52);
  const body = `rmt_${principal.slice(4)}_${keyId.slice(4)}_${secret}`;
  return { key: body + (await checksumOf(checksumKey, body)), secret };
}

export async function hashSecret(secret: string): Promise<string> {
  return hex(await sha256(secret));
}
