/**
 * Offline verification of a receipt (invariant 7): with nothing but the receipt,
 * its proof, the service's JWKS and an RPC endpoint.
 *
 *   signature  Ed25519 by the JWKS key named by `receipt.kid`, over exactly the canonical bytes;
 *              with `requireKidThumbprint`, that key must also be the one the kid names:
 *              the kid is the first 16 characters (96 bits) of the key's RFC 7638 thumbprint,
 *              and the anchored leaf commits to the bytes, kid included, so a key set that
 *              hands over a substitute key for a kid is caught
 *   leaf       leaf_hash = SHA-256(0x00 || bytes)
 *   batch      leaf ∈ batch_root (RFC 9162 inclusion, leaf_index of batch_size)
 *   period     periodLeaf(batch_root) ∈ period_root (batch_index of period_size); see period.ts
 *   chain      RemitAnchor.rootOf(period) == period_root
 */
import { sha256 } from "@noble/hashes/sha2.js";
import type { Address, PublicClient } from "viem";
import { b64urlEncode, hex, utf8 } from "../encoding";
import { anchorPublicClient, readAnchoredRoot } from "./anchor-read";
import { verifyInclusion, type Hash } from "./merkle";
import { hashFromHex, periodLeaf, type ReceiptProof } from "./period";
import { receiptLeaf, verifyReceiptSignature, type Ed25519PublicJwk, type SignedReceipt } from "./receipt";

export interface Jwks {
  keys: Array<Ed25519PublicJwk & { kid?: string }>;
}

export interface VerifyChecks {
  signature: boolean;
  leaf: boolean;
  batch: boolean;
  period: boolean;
  chain: boolean;
}

export interface VerifyResult {
  ok: boolean;
  checks: VerifyChecks;
  /** The first check that failed, and why. */
  reason?: string;
}

export interface VerifyOptions {
  /**
   * Refuse a key whose RFC 7638 thumbprint does not start with the receipt's `kid`
   * (at least 16 characters). The service's kids are such prefixes; off by default
   * so key sets with other kids can still be used.
   */
  requireKidThumbprint?: boolean;
}

/** Length of a service kid: the first 16 characters (96 bits) of the key's RFC 7638 thumbprint. */
export const KID_LENGTH = 16;

/** The RFC 7638 thumbprint (SHA-256, base64url) of an Ed25519 public key, synchronously. */
export function ed25519Thumbprint(x: string): string {
  // Required members in lexicographic order, no whitespace (RFC 7638 §3.2).
  return b64urlEncode(sha256(utf8(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`)));
}

/** Whether `kid` names the key `x`: a prefix of at least KID_LENGTH characters of its thumbprint. */
export function kidNamesKey(kid: unknown, x: unknown): boolean {
  return typeof kid === "string" && typeof x === "string" && kid.length >= KID_LENGTH && ed25519Thumbprint(x).startsWith(kid);
}

export interface VerifyInput extends VerifyOptions {
  signed: SignedReceipt;
  proof: ReceiptProof;
  jwks: Jwks;
  rpcUrl: string;
  contract: Address;
  /** Instead of a client built from rpcUrl. */
  publicClient?: PublicClient;
}

export type LocalChecks = Omit<VerifyChecks, "chain">;

/** The checks that need no chain: `ok` when signature, leaf, batch and period all pass. */
export function verifyReceiptProof(
  signed: SignedReceipt,
  proof: ReceiptProof,
  jwks: Jwks,
  options: VerifyOptions = {},
): { ok: boolean; checks: LocalChecks; reason?: string } {
  const checks: LocalChecks = { signature: false, leaf: false, batch: false, period: false };
  const reasons: string[] = [];

  const kid = signed?.receipt?.kid;
  const jwk = jwks?.keys?.find((k) => k.kid === kid);
  if (!jwk) reasons.push(`signature: no key "${String(kid)}" in the JWKS`);
  else if (options.requireKidThumbprint && !kidNamesKey(kid, jwk.x))
    reasons.push(`signature: the key published as "${String(kid)}" is not the key that kid names (RFC 7638 thumbprint)`);
  else if (!(checks.signature = verifyReceiptSignature(signed, jwk))) reasons.push("signature: invalid");

  let leaf: Hash | null = null;
  try {
    leaf = receiptLeaf(signed.bytes);
    checks.leaf = hex(leaf) === signed.leaf_hash.toLowerCase().replace(/^0x/, "");
  } catch {
    checks.leaf = false;
  }
  if (!checks.leaf) reasons.push("leaf: leaf_hash is not SHA-256(0x00 || bytes)");

  const batch = inclusion(leaf, proof?.leaf_index, proof?.batch_size, proof?.batch_path, proof?.batch_root);
  checks.batch = batch.ok;
  if (!batch.ok) reasons.push(`batch: ${batch.why}`);

  let batchLeaf: Hash | null = null;
  try {
    batchLeaf = periodLeaf(hashFromHex(proof.batch_root));
  } catch {
    batchLeaf = null;
  }
  const period = inclusion(batchLeaf, proof?.batch_index, proof?.period_size, proof?.period_path, proof?.period_root);
  checks.period = period.ok;
  if (!period.ok) reasons.push(`period: ${period.why}`);

  const ok = checks.signature && checks.leaf && checks.batch && checks.period;
  return { ok, checks, ...(reasons[0] === undefined ? {} : { reason: reasons[0] }) };
}

function inclusion(leaf: Hash | null, index: unknown, size: unknown, path: unknown, root: unknown): { ok: true } | { ok: false; why: string } {
  if (!leaf) return { ok: false, why: "no leaf to prove" };
  if (typeof index !== "number" || typeof size !== "number" || !Array.isArray(path) || typeof root !== "string") {
    return { ok: false, why: "malformed proof" };
  }
  let hashes: Hash[];
  let rootHash: Hash;
  try {
    hashes = path.map((p) => hashFromHex(String(p)));
    rootHash = hashFromHex(root);
  } catch {
    return { ok: false, why: "malformed hash in proof" };
  }
  return verifyInclusion(leaf, index, size, hashes, rootHash) ? { ok: true } : { ok: false, why: "inclusion proof does not lead to the root" };
}

/** All five checks; `ok` only when every one passes. */
export async function verifyReceiptOffline(input: VerifyInput): Promise<VerifyResult> {
  const local = verifyReceiptProof(input.signed, input.proof, input.jwks, { requireKidThumbprint: input.requireKidThumbprint ?? false });
  const checks: VerifyChecks = { ...local.checks, chain: false };
  let chainReason: string | undefined;
  try {
    const client = input.publicClient ?? anchorPublicClient(input.rpcUrl, { retryCount: 2 });
    const anchored = await readAnchoredRoot(client, input.contract, input.proof.period);
    const claimed = hex(hashFromHex(input.proof.period_root));
    checks.chain = anchored !== null && anchored.root.toLowerCase() === `0x${claimed}`;
    if (!checks.chain) {
      chainReason = anchored ? `chain: period ${input.proof.period} holds ${anchored.root}` : `chain: period ${input.proof.period} is not anchored`;
    }
  } catch (err) {
    chainReason = `chain: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`;
  }
  const ok = checks.signature && checks.leaf && checks.batch && checks.period && checks.chain;
  const reason = local.reason ?? chainReason;
  return { ok, checks, ...(ok || reason === undefined ? {} : { reason }) };
}
