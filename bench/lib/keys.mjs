// Keys and tokens on the Node side. Agent proofs are made with the SDK's own
// createProof; only the raw Ed25519 signature is delegated to node:crypto (OpenSSL),
// which gives the same bytes as noble (Ed25519 is deterministic; checked at load).
import { createPrivateKey, sign as nodeSign } from "node:crypto";

export const sdk = await import(process.env.REMIT_BENCH_NODE_BUNDLE);

export function fastAgentKey(seedB64) {
  const slow = sdk.agentKeyFromSeed(sdk.b64urlDecode(seedB64));
  const keyObject = createPrivateKey({ key: { ...slow.privateJwk }, format: "jwk" });
  const key = { ...slow, sign: (m) => new Uint8Array(nodeSign(null, m, keyObject)) };
  const probe = sdk.utf8("remit-bench-probe");
  if (sdk.b64urlEncode(key.sign(probe)) !== sdk.b64urlEncode(slow.sign(probe))) throw new Error("node:crypto and noble Ed25519 signatures differ");
  return { key, slow };
}

const b64u = (buf) => Buffer.from(buf).toString("base64url");

/** RFC 7638 thumbprint of an Ed25519 public JWK: the SDK's, which is the service's own. */
export const thumbprint = (jwk) => sdk.jwkThumbprint(jwk);

/**
 * A session token signed with the service key, exactly as SessionTree mints them
 * (EdDSA, typ remit-session+jwt, kid = first 16 of the key's thumbprint). Used for a
 * tree that was never created, so that any request reaching a Durable Object with
 * it would create that object.
 */
export async function serviceToken(serviceSeedB64, claims) {
  const service = fastAgentKey(serviceSeedB64).key;
  const kid = (await thumbprint(service.publicJwk)).slice(0, 16);
  const header = { alg: "EdDSA", typ: "remit-session+jwt", kid };
  const now = Math.floor(Date.now() / 1000);
  const payload = { iat: now, jti: crypto.randomUUID(), nbf: now - 5, exp: now + 3600, ...claims };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${b64u(service.sign(Buffer.from(input)))}`;
}

/** A proof whose signature no longer verifies (one signature byte flipped): passes every check up to the signature. */
export function tamperedProof(proof) {
  const [h, p, s] = proof.split(".");
  const sig = Buffer.from(s, "base64url");
  sig[10] ^= 0x01;
  return `${h}.${p}.${b64u(sig)}`;
}
