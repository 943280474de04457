import { hex, sha256 } from "../encoding";
import { randomToken } from "../ids";

/**
 * `rmt_<principal>_<key id>_<secret>`: the key names its principal and its id, so
 * it is found without scanning; only the SHA-256 of the secret is stored (the
 * secret has 256 bits, so a fast hash is the right one).
 */
export interface ParsedApiKey {
  principal: string;
  keyId: string;
  secret: string;
}

const SHAPE = /^rmt_([0-9a-z]{26})_([0-9a-z]{26})_([0-9a-z]{52})$/;

export function parseApiKey(text: string): ParsedApiKey | null {
  const m = SHAPE.exec(text);
  if (!m) return null;
  return { principal: `prn_${m[1]}`, keyId: `key_${m[2]}`, secret: m[3]! };
}

export function mintApiKey(principal: string, keyId: string): { key: string; secret: string } {
  const secret = randomToken(32).slice(0, 52);
  return { key: `rmt_${principal.slice(4)}_${keyId.slice(4)}_${secret}`, secret };
}

export async function hashSecret(secret: string): Promise<string> {
  return hex(await sha256(secret));
}
