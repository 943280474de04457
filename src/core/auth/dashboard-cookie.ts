/**
 * The dashboard's cookie (src/dashboard/session.ts): `<principal>.<key id>.<secret>.<mac>`,
 * HMAC-SHA-256 over the first three parts with a key derived (HKDF) from the deployment's
 * secret for this purpose only. The MAC lets the edge refuse a forged cookie before any
 * object; what makes a cookie good is its row in the principal's object, found by the
 * SHA-256 of the secret (durable-objects/principal/dashboard-sessions.ts). The CSRF token of
 * the forms lives in that row too.
 */
import { b64urlEncode, timingSafeEqual, utf8 } from "../encoding";
import { hashSecret } from "./api-keys";
import { derivedHmacKey } from "./derived-key";
import { randomToken } from "../ids";

export interface DashboardCookie {
  principal: string;
  keyId: string;
  secret: string;
}

/** How long a sign-in lives. */
export const DASHBOARD_SESSION_MS = 12 * 60 * 60 * 1000;

const SHAPE = /^(prn_[0-9a-z]{26})\.(key_[0-9a-z]{26})\.([0-9a-z]{52})\.([A-Za-z0-9_-]{43})$/;

const cookieKey = (material: string): Promise<CryptoKey> => derivedHmacKey(material, "remit dashboard cookie v1");

async function macOf(material: string, body: string): Promise<string> {
  return b64urlEncode(new Uint8Array(await crypto.subtle.sign("HMAC", await cookieKey(material), utf8(body))));
}

/** A new sign-in's cookie parts: a fresh 256-bit secret for this principal and key. */
export function newDashboardCookie(principal: string, keyId: string): DashboardCookie {
  return { principal, keyId, secret: randomToken(32).slice(0, 52) };
}

export async function signDashboardCookie(material: string, cookie: DashboardCookie): Promise<string> {
  const body = `${cookie.principal}.${cookie.keyId}.${cookie.secret}`;
  return `${body}.${await macOf(material, body)}`;
}

/** The cookie's parts when it is well formed and its MAC is ours; else null. Says nothing about whether it is still signed in. */
export async function readDashboardCookie(material: string, value: string | undefined): Promise<DashboardCookie | null> {
  const m = value ? SHAPE.exec(value) : null;
  if (!m) return null;
  const expected = await macOf(material, `${m[1]}.${m[2]}.${m[3]}`);
  // The MAC's text, not its decoded bytes: base64url's last character carries unused bits, so
  // decoding would accept other spellings of the same MAC (a cookie that is not the one issued).
  if (!timingSafeEqual(utf8(expected), utf8(m[4]!))) return null;
  return { principal: m[1]!, keyId: m[2]!, secret: m[3]! };
}

/** What the principal's object stores of a sign-in: the SHA-256 of its secret, hex. */
export function signInHash(cookie: DashboardCookie): Promise<string> {
  return hashSecret(cookie.secret);
}

/** A CSRF token or the sign-in form's token: 128 random bits. */
export function formToken(): string {
  return randomToken(16);
}
