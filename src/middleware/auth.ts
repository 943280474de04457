/** The edge's authentication: agents (token + DPoP), principals (API key with its checksum) and the operator, before any object is touched. */
import { createMiddleware } from "hono/factory";
import type { AgentCall } from "../contract/session-tree";
import type { KeyProof } from "../contract/principal";
import { sha256, timingSafeEqual } from "../core/encoding";
import type { Env } from "../contract/env";
import { principalStub, treeStub } from "../contract/stubs";
import { problem, RemitError } from "../core/errors";
import { issuer } from "../http";
import { apiKeyChecksumKey, hashSecret, hasValidChecksum, parseApiKey } from "../core/auth/api-keys";
import { needOfMethod, type Need } from "../core/auth/roles";
import { dpopChallenge, invalidProof, tokenDigest, verifyProof } from "../core/auth/dpop";
import { serviceKeys } from "../core/auth/service-keys";
import { verifySessionToken, type SessionClaims } from "../core/auth/session-token";

export interface AppVariables {
  agent: { claims: SessionClaims; call: AgentCall };
  keyProof: KeyProof;
  principalId: string;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };

export function dpopWindowSeconds(env: Env): number {
  const n = Number(env.DPOP_IAT_WINDOW_SECONDS ?? "60");
  return Number.isFinite(n) && n > 0 ? n : 60;
}

/**
 * Agent requests: every check that needs no state (token signature and window,
 * proof signature, binding, method, URL, iat, ath) runs here, before any Durable
 * Object is touched. Only the `jti` goes on to the tree's replay cache.
 */
export const agentAuth = createMiddleware<AppEnv>(async (c, next) => {
  const authorization = c.req.header("authorization");
  if (!authorization) throw new RemitError(problem("unauthenticated", "send Authorization: DPoP <session token> and a DPoP proof", undefined, dpopChallenge()));
  const match = /^DPoP ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization);
  if (!match) {
    const detail = /^Bearer /i.test(authorization)
      ? "session tokens are bound to a key: use the DPoP scheme, not Bearer"
      : "the Authorization header must be DPoP <session token>";
    throw new RemitError(problem("invalid-token", detail, undefined, dpopChallenge("invalid_token", detail)));
  }
  const token = match[1]!;
  const proof = c.req.header("dpop");
  if (!proof) throw invalidProof("the DPoP header is missing");
  if (proof.includes(",")) throw invalidProof("exactly one DPoP header is allowed");
  const now = Date.now();
  const keys = await serviceKeys(c.env);
  // The token's SHA-256 keys the verified-token cache and is the proof's `ath`: computed once.
  const digest = tokenDigest(token);
  const claims = await verifySessionToken(keys, token, issuer(c.env), now, digest);
  const window = dpopWindowSeconds(c.env);
  const verified = await verifyProof(proof, {
    method: c.req.method,
    url: c.req.url,
    accessToken: token,
    accessTokenDigest: digest,
    jkt: claims.cnf.jkt,
    now,
    windowSeconds: window,
  });
  c.set("agent", { claims, call: { session: claims.sub, jti: verified.jti, jtiExpiresAt: Math.ceil((verified.iat + window) * 1000) + 1000 } });
  await next();
});

/** The tree object of the authenticated agent, and a principal's object (src/contract/stubs.ts). */
export { treeStub as treeOf, principalStub as principalOf };

/**
 * What API key checksums are keyed by (src/core/auth/api-keys.ts): `REMIT_API_KEY_SECRET`,
 * or else the operator token. Without `REMIT_API_KEY_SECRET`, rotating the operator token
 * therefore invalidates every API key. Null when neither is set (then no key is valid).
 */
export function apiKeyChecksumMaterial(env: Pick<Env, "REMIT_API_KEY_SECRET" | "REMIT_ADMIN_TOKEN">): string | null {
  return env.REMIT_API_KEY_SECRET || env.REMIT_ADMIN_TOKEN || null;
}

/** The checksum key of this deployment's API keys, to mint them (src/routes/principals.ts) and check them. */
export function apiKeyChecksumKeyOf(env: Env): Promise<CryptoKey> {
  const material = apiKeyChecksumMaterial(env);
  if (!material) throw new Error("neither REMIT_API_KEY_SECRET nor REMIT_ADMIN_TOKEN is set: API keys cannot be minted");
  return apiKeyChecksumKey(material);
}

/**
 * Principal requests: the key names its principal; its checksum is checked here, so a
 * key the service did not mint never reaches (nor creates) a Principal object; the
 * principal's object then checks the secret's hash.
 */
export const principalAuth = createMiddleware<AppEnv>(async (c, next) => {
  const authorization = c.req.header("authorization") ?? "";
  const match = /^Bearer (\S+)$/.exec(authorization);
  const parsed = match ? parseApiKey(match[1]!) : null;
  if (!parsed)
    throw new RemitError(problem("unauthenticated", "send Authorization: Bearer <API key> (rmt_…)", undefined, { "WWW-Authenticate": 'Bearer realm="remit"' }));
  const material = apiKeyChecksumMaterial(c.env);
  if (!material || !(await hasValidChecksum(await apiKeyChecksumKey(material), parsed)))
    throw new RemitError(problem("unauthenticated", "the API key is not valid", undefined, { "WWW-Authenticate": 'Bearer realm="remit"' }));
  c.set("keyProof", { keyId: parsed.keyId, secretHash: await hashSecret(parsed.secret), need: needOfMethod(c.req.method) });
  c.set("principalId", parsed.principal);
  await next();
});

/** After `principalAuth`: the route needs more (or less) of the key's role than its method says. */
export const needs = (need: Need) =>
  createMiddleware<AppEnv>(async (c, next) => {
    c.set("keyProof", { ...c.var.keyProof, need });
    await next();
  });

/** The operator's bootstrap token. */
export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const match = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "");
  const expected = c.env.REMIT_ADMIN_TOKEN;
  const good = match && expected && timingSafeEqual(await sha256(match[1]!), await sha256(expected));
  if (!good) throw new RemitError(problem("unauthenticated", "this call needs the operator token", undefined, { "WWW-Authenticate": 'Bearer realm="remit-admin"' }));
  await next();
});
