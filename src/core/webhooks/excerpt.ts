/** Response excerpts kept in the delivery log are at most 1 KiB of UTF-8. */
export const EXCERPT_MAX_BYTES = 1024;

/** The longest prefix of `bytes` (≤ `max`) that ends on a UTF-8 character boundary, decoded. */
export function utf8Prefix(bytes: Uint8Array, max = EXCERPT_MAX_BYTES): string {
  let end = Math.min(bytes.length, max);
  if (end < bytes.length) {
    // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
    let i = end;
    while (i > 0 && (bytes[i]! & 0xc0) === 0x80) i--;
    end = i;
  }
  return new TextDecoder().decode(bytes.subarray(0, end));
}

export function truncateUtf8(text: string, max = EXCERPT_MAX_BYTES): string {
  const bytes = new TextEncoder().encode(text);
  return bytes.length <= max ? text : utf8Prefix(bytes, max);
}
