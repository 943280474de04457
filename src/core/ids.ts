/** Prefixed, unguessable identifiers (`ses_…`). 128 bits of randomness, base32 (lowercase). */
export type IdPrefix = "prn" | "ses" | "tre" | "rcp" | "hld" | "apr" | "whe" | "key" | "evt" | "dlv" | "msg" | "trw";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lowercase

export function randomToken(bytes = 16): string {
  return base32(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Bytes in the alphabet of ids (5 bits a character, the last one zero-padded). */
export function base32(buf: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomToken(16)}`;
}

const ID_SHAPE = /^[a-z]{3}_[0-9a-hjkmnp-tv-z]{26}$/;
export function isId(value: string, prefix: IdPrefix): boolean {
  return value.startsWith(`${prefix}_`) && ID_SHAPE.test(value);
}
