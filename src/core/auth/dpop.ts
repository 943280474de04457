/** DPoP proof verification (RFC 9449 §4.3) and the challenge header: every check that needs no state. */
import { createHash } from "node:crypto";
import { b64urlDecode, utf8 } from "../encoding";
import { problem, RemitError } from "../errors";
import { agentJwkProblem, importAgentKey, thumbprint, toAgentJwk } from "./jwk";

/** RFC 9864 fully-specified name first; `EdDSA` for older clients. Nothing else, ever. */
export const DPOP_ALGS = ["Ed25519", "EdDSA"] as const;

export interface ProofExpectations {
  method: string;
  url: string;
  accessToken: string;
  jkt: string;
  now: number;
  windowSeconds: number;
  /** `tokenDigest(accessToken)`, when the caller has it already (the edge computes it once per request). */
  accessTokenDigest?: string;
}

/** The stateless result of checking a proof; the `jti` still has to pass the tree's replay cache. */
export interface VerifiedProof {
  jti: string;
  iat: number;
}

/**
 * The RFC 9449 §7.1 challenge, whichever layer refuses (edge or tree): the accepted
 * proof algorithms, and the error with its description when there is one.
 */
export function dpopChallenge(error?: "invalid_token" | "invalid_dpop_proof", detail?: string): { "WWW-Authenticate": string } {
  const params = [...(error ? [`error="${error}"`] : []), ...(detail ? [`error_description="${detail.replace(/"/g, "'")}"`] : []), `algs="${DPOP_ALGS.join(" ")}"`];
  return { "WWW-Authenticate": `DPoP ${params.join(", ")}` };
}

export const invalidProof = (detail: string) => new RemitError(problem("invalid-proof", detail, undefined, dpopChallenge("invalid_dpop_proof", detail)));

/** Stateless between calls (no streaming), so one decoder serves every proof. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function decodeJson(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(strictUtf8.decode(b64urlDecode(part)));
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error();
    return value as Record<string, unknown>;
  } catch {
    throw invalidProof(`the proof ${what} is not a base64url JSON object`);
  }
}

/** Recent `htuOf` answers: a client sends the same few URLs (and proofs the same `htu`s) again and again. */
const htus = new Map<string, string | null>();

/** RFC 9449 §4.3 (9): scheme, host and path; no query, no fragment; scheme and host case-insensitive. */
function htuOf(value: string): string | null {
  const known = htus.get(value);
  if (known !== undefined) return known;
  const htu = parseHtu(value);
  if (value.length <= 2048) {
    if (htus.size >= 256) htus.clear();
    htus.set(value, htu);
  }
  return htu;
}

function parseHtu(value: string): string | null {
  try {
    const u = new URL(value);
    return `${u.protocol.toLowerCase()}//${u.host.toLowerCase()}${u.pathname}`;
  } catch {
    return null;
  }
}

/** Every check of RFC 9449 §4.3 that needs no state. Throws `invalid-proof`. */
export async function verifyProof(proof: string, expect: ProofExpectations): Promise<VerifiedProof> {
  if (proof.length > 4096) throw invalidProof("the proof is too large");
  const parts = proof.split(".");
  if (parts.length !== 3) throw invalidProof("the proof must be a compact JWS with three parts");
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h, "header");
  const payload = decodeJson(p, "payload");

  if (header.typ !== "dpop+jwt") throw invalidProof('the proof must have typ "dpop+jwt"');
  if (typeof header.alg !== "string" || !(DPOP_ALGS as readonly string[]).includes(header.alg))
    throw invalidProof(`the proof alg must be one of ${DPOP_ALGS.join(", ")}`);
  if ("crit" in header) throw invalidProof("the proof must not carry crit parameters");
  const jwkProblem = agentJwkProblem(header.jwk);
  if (jwkProblem) throw invalidProof(`the proof jwk ${jwkProblem}`);
  const jwk = toAgentJwk(header.jwk as Record<string, unknown>);
  if ((await thumbprint(jwk)) !== expect.jkt) throw invalidProof("the proof key is not the key the session is bound to");

  let signature: Uint8Array<ArrayBuffer>;
  try {
    signature = b64urlDecode(s);
  } catch {
    throw invalidProof("the proof signature is not base64url");
  }
  const key = await importAgentKey(jwk);
  const valid = await crypto.subtle.verify({ name: "Ed25519" }, key, signature, utf8(`${h}.${p}`));
  if (!valid) throw invalidProof("the proof signature does not verify");

  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== "string" || jti.length < 8 || jti.length > 128) throw invalidProof("the proof jti must be a string of 8 to 128 characters");
  if (htm !== expect.method) throw invalidProof(`the proof htm must be ${expect.method}`);
  const claimedHtu = typeof htu === "string" ? htuOf(htu) : null;
  if (claimedHtu === null || claimedHtu !== htuOf(expect.url)) throw invalidProof("the proof htu does not match the request URL");
  if (typeof iat !== "number" || !Number.isFinite(iat)) throw invalidProof("the proof iat must be a number");
  const skew = iat - expect.now / 1000;
  if (Math.abs(skew) > expect.windowSeconds) throw invalidProof(skew > 0 ? "the proof iat is in the future" : "the proof iat is too old");
  if (ath !== (expect.accessTokenDigest ?? tokenDigest(expect.accessToken))) throw invalidProof("the proof ath is not the hash of the session token");
  return { jti, iat };
}

/**
 * `ath`: base64url SHA-256 of the token. Synchronous (node:crypto) and not memoized: a
 * digest of a token costs a few microseconds, and a memo keyed by tokens would hold
 * whatever size of token a caller sends.
 */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}
