/**
 * Offline verification of a receipt (invariant 7): with nothing but the receipt,
 * its inclusion proof, the service's public keys and an RPC endpoint of the chain.
 * The checks are the service's own (src/core/receipts/verify.ts), so the SDK and the
 * service can never disagree on what a valid receipt is.
 */
import type { Address } from "viem";
import { verifyReceiptOffline, type VerifyChecks, type VerifyResult } from "../../src/core/receipts/verify";
import type { FetchLike } from "./http";
import type { AnchoredProof, Jwks, ReceiptProof, ReceiptProofResponse, SignedReceipt } from "./types";

export type { VerifyChecks, VerifyResult };

export interface VerifyReceiptOptions {
  /** The service's JWKS (`/.well-known/jwks.json`)… */
  jwks?: Jwks;
  /** …or where to fetch it. */
  jwksUrl?: string;
  /** JSON-RPC endpoint of the chain the anchor contract lives on. */
  rpcUrl: string;
  /** The RemitAnchor contract; taken from the proof (or its response's anchor) when absent. */
  contract?: string;
  fetch?: FetchLike;
}

/**
 * Verifies signature, leaf hash, batch inclusion, period inclusion and the on-chain
 * root. `proof` is the bare inclusion proof or the whole `GET /v1/receipts/{id}/proof`
 * answer (the contract then comes with it). Resolves with `ok` and each check; never throws for a receipt that fails a
 * check (only for missing inputs).
 */
export async function verifyReceipt(
  signed: SignedReceipt,
  proof: ReceiptProof | AnchoredProof | ReceiptProofResponse,
  options: VerifyReceiptOptions,
): Promise<VerifyResult> {
  const { inclusion, contract } = unpack(proof, options.contract);
  if (!inclusion) throw new TypeError("the receipt has no inclusion proof yet (not anchored)");
  if (!contract) throw new TypeError("the anchor contract is unknown: pass options.contract");
  if (!options.rpcUrl) throw new TypeError("rpcUrl is required");
  const jwks = options.jwks ?? (await fetchJwks(options));
  return verifyReceiptOffline({
    signed: signed as Parameters<typeof verifyReceiptOffline>[0]["signed"],
    proof: inclusion,
    jwks,
    rpcUrl: options.rpcUrl,
    contract: contract as Address,
  });
}

/** The inclusion proof and the contract, from a bare proof or a whole proof response. */
function unpack(proof: ReceiptProof | AnchoredProof | ReceiptProofResponse, contract?: string): { inclusion: ReceiptProof | null; contract?: string } {
  const inclusion: (ReceiptProof & { contract?: unknown }) | null =
    typeof (proof as ReceiptProof).leaf_index === "number" ? (proof as ReceiptProof) : ((proof as ReceiptProofResponse).proof ?? null);
  const anchor = (proof as Partial<ReceiptProofResponse>).anchor ?? null;
  const found = contract ?? (typeof inclusion?.contract === "string" ? inclusion.contract : typeof anchor?.contract === "string" ? anchor.contract : undefined);
  return { inclusion, ...(found ? { contract: found } : {}) };
}

async function fetchJwks(options: VerifyReceiptOptions): Promise<Jwks> {
  if (!options.jwksUrl) throw new TypeError("jwks or jwksUrl is required");
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const res = await fetchImpl(options.jwksUrl, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`GET ${options.jwksUrl}: HTTP ${res.status}`);
  const jwks = (await res.json()) as Jwks;
  if (!jwks || !Array.isArray(jwks.keys)) throw new Error(`${options.jwksUrl} is not a JWK Set`);
  return jwks;
}
