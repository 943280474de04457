/** Agent key pairs: generate, load from a JWK file, derive from a seed, and the RFC 7638 thumbprint the service binds tokens to. */
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { thumbprint } from "../../src/core/auth/jwk";
import { b64urlDecode, b64urlEncode } from "../../src/core/encoding";

ed.hashes.sha512 = sha512;

/** An agent key pair. The private key never leaves the agent. */
export interface AgentKey {
  /** Public JWK to hand to whoever grants or delegates a session. */
  publicJwk: { kty: "OKP"; crv: "Ed25519"; x: string };
  /** Private JWK (keep secret; `d` is the 32-byte seed). */
  privateJwk: { kty: "OKP"; crv: "Ed25519"; x: string; d: string };
  sign(message: Uint8Array): Uint8Array;
}

export function agentKeyFromSeed(seed: Uint8Array): AgentKey {
  if (seed.length !== 32) throw new Error("an Ed25519 seed is 32 bytes");
  const x = b64urlEncode(ed.getPublicKey(seed));
  const d = b64urlEncode(seed);
  return {
    publicJwk: { kty: "OKP", crv: "Ed25519", x },
    privateJwk: { kty: "OKP", crv: "Ed25519", x, d },
    sign: (message) => ed.sign(message, seed),
  };
}

export function generateAgentKey(): AgentKey {
  return agentKeyFromSeed(ed.utils.randomSecretKey());
}

export function loadAgentKey(privateJwk: { d: string }): AgentKey {
  return agentKeyFromSeed(b64urlDecode(privateJwk.d));
}

/**
 * RFC 7638 thumbprint of an agent's public JWK: the `cnf.jkt` a session is bound to.
 * The service's own function, so a client's answer can never drift from the server's.
 */
export function jwkThumbprint(publicJwk: AgentKey["publicJwk"]): Promise<string> {
  return thumbprint(publicJwk);
}
