/**
 * An HMAC-SHA-256 key derived (HKDF-SHA-256, salt "remit") from the deployment's secret for
 * one purpose, named by `info`: API key checksums and dashboard cookies each get their own,
 * so one can never stand for the other. Derived once per isolate and purpose.
 */
import { utf8 } from "../encoding";

const cache = new Map<string, { material: string; key: Promise<CryptoKey> }>();

export function derivedHmacKey(material: string, info: string): Promise<CryptoKey> {
  const hit = cache.get(info);
  if (hit?.material === material) return hit.key;
  const key = derive(material, info);
  cache.set(info, { material, key });
  return key;
}

async function derive(material: string, info: string): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey("raw", utf8(material), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: utf8("remit"), info: utf8(info) }, ikm, { name: "HMAC", hash: "SHA-256", length: 256 }, false, [
    "sign",
  ]);
}
