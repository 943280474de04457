/** DPoP proofs (RFC 9449) as agents send them: one fresh proof per request, signed Ed25519, bound to the token by `ath`. */
import { sha256 } from "@noble/hashes/sha2.js";
import { b64urlEncode, utf8 } from "../../src/core/encoding";
import type { AgentKey } from "./keys";

export interface ProofOptions {
  method: string;
  url: string;
  /** The session token the proof is bound to (its hash goes in `ath`). */
  accessToken: string;
  /** `Ed25519` (RFC 9864) by default; `EdDSA` for older servers. */
  alg?: "Ed25519" | "EdDSA";
  /** Seconds since the epoch; defaults to now. */
  iat?: number;
  jti?: string;
}

/** A DPoP proof (RFC 9449) for one request: sign a new one for every request, retries included. */
export function createProof(key: AgentKey, opts: ProofOptions): string {
  const u = new URL(opts.url);
  const header = { typ: "dpop+jwt", alg: opts.alg ?? "Ed25519", jwk: key.publicJwk };
  const payload = {
    jti: opts.jti ?? crypto.randomUUID(),
    htm: opts.method.toUpperCase(),
    htu: `${u.protocol}//${u.host}${u.pathname}`,
    iat: opts.iat ?? Math.floor(Date.now() / 1000),
    ath: b64urlEncode(sha256(utf8(opts.accessToken))),
  };
  const input = `${b64urlEncode(utf8(JSON.stringify(header)))}.${b64urlEncode(utf8(JSON.stringify(payload)))}`;
  return `${input}.${b64urlEncode(key.sign(utf8(input)))}`;
}
