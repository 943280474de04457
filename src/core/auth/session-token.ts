/** Session tokens: issued synchronously inside a tree's transaction, verified at the edge with a bounded memo. */
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import { problem, RemitError } from "../errors";
import { b64urlEncode, utf8 } from "../encoding";
import { BoundedCache } from "../bounded-cache";
import { dpopChallenge, tokenDigest } from "./dpop";
import type { SessionClaims } from "./session-claims";
import type { ServiceKey, ServiceKeys } from "./service-keys";

export const SESSION_TOKEN_TYPE = "remit-session+jwt";

export type { SessionClaims } from "./session-claims";

const invalidToken = (detail: string) => new RemitError(problem("invalid-token", detail, undefined, dpopChallenge("invalid_token", detail)));

/**
 * Verifies signature, `typ`, `alg`, issuer and shape. Time is checked separately so
 * an expired session gets its own problem type rather than "invalid token".
 */
/**
 * Tokens already verified in this isolate, by the SHA-256 of their exact text (the same
 * digest as a proof's `ath`), never by the text itself: a token's size is the caller's
 * choice. A hit skips only the signature and shape checks (the bytes are the ones that
 * verified); the key must still be published, the issuer the same, and the time windows
 * are checked every time. Bounded in entries and in bytes held.
 */
const verified = new BoundedCache<{ kid: string; issuer: string; claims: SessionClaims }>(5000, 8 * 1024 * 1024);

export async function verifySessionToken(keys: ServiceKeys, token: string, issuer: string, now: number, digest = tokenDigest(token)): Promise<SessionClaims> {
  const hit = verified.get(digest);
  if (hit && hit.issuer === issuer && keys.byKid.has(hit.kid)) return checkWindow(hit.claims, now);
  const claims = await verifySignatureAndShape(keys, token, issuer, now);
  // The claims hold about as much as the token's payload.
  verified.set(digest, { kid: decodeProtectedHeader(token).kid as string, issuer, claims }, token.length + 128);
  return checkWindow(claims, now);
}

/** For tests and the bench: what the verified-token cache holds. */
export function verifiedTokenCacheStats(): { entries: number; bytes: number } {
  return { entries: verified.size, bytes: verified.totalBytes };
}

function checkWindow(c: SessionClaims, now: number): SessionClaims {
  const seconds = now / 1000;
  if (seconds >= c.exp) throw new RemitError(problem("session-expired", `the session expired at ${new Date(c.exp * 1000).toISOString()}`));
  if (seconds < c.nbf) throw new RemitError(problem("session-not-yet-valid", `the session is valid from ${new Date(c.nbf * 1000).toISOString()}`));
  return c;
}

async function verifySignatureAndShape(keys: ServiceKeys, token: string, issuer: string, now: number): Promise<SessionClaims> {
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw invalidToken("the session token is not a JWS");
  }
  if (header.alg !== "EdDSA") throw invalidToken("the session token must be signed with EdDSA");
  if (header.typ !== SESSION_TOKEN_TYPE) throw invalidToken(`the session token must have typ ${SESSION_TOKEN_TYPE}`);
  const key = typeof header.kid === "string" ? keys.byKid.get(header.kid) : undefined;
  if (!key) throw invalidToken("the session token was signed by an unknown key");
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: ["EdDSA"],
      typ: SESSION_TOKEN_TYPE,
      issuer,
      currentDate: new Date(now),
      // Windows are enforced below with their own problem types.
      clockTolerance: Number.MAX_SAFE_INTEGER,
    }));
  } catch (e) {
    if (e instanceof joseErrors.JOSEError) throw invalidToken(`the session token does not verify (${e.code})`);
    throw e;
  }
  const c = payload as Partial<SessionClaims>;
  if (
    typeof c.sub !== "string" ||
    typeof c.tree !== "string" ||
    typeof c.prn !== "string" ||
    typeof c.exp !== "number" ||
    typeof c.nbf !== "number" ||
    typeof c.scope !== "string" ||
    typeof c.depth !== "number" ||
    typeof c.cnf?.jkt !== "string"
  ) {
    throw invalidToken("the session token lacks required claims");
  }
  return c as SessionClaims;
}

/**
 * A session token, signed synchronously so a Durable Object mints it inside the
 * transaction that creates the session (and stores it with the idempotency record,
 * so a replay returns the identical token).
 */
export function issueSessionTokenSync(key: Pick<ServiceKey, "kid" | "sign">, claims: Omit<SessionClaims, "iat" | "jti">, now: number): string {
  const header = { alg: "EdDSA", typ: SESSION_TOKEN_TYPE, kid: key.kid };
  const payload: SessionClaims = { ...claims, iat: Math.floor(now / 1000), jti: crypto.randomUUID() };
  const signingInput = `${b64urlEncode(utf8(JSON.stringify(header)))}.${b64urlEncode(utf8(JSON.stringify(payload)))}`;
  return `${signingInput}.${b64urlEncode(key.sign(utf8(signingInput)))}`;
}
