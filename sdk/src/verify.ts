/**
 * Offline verification of a receipt (invariant 7): with nothing but the receipt,
 * its inclusion proof, the service's public keys and an RPC endpoint of the chain —
 * after any number of key rotations: the keys come from the receipt-keys document
 * (`/.well-known/receipt-keys.json`), which keeps every key that ever signed a receipt,
 * and each key is checked against the kid it is published under (RFC 7638 thumbprint).
 * The checks are the service's own (src/core/receipts/verify.ts), so the SDK and the
 * service can never disagree on what a valid receipt is.
 */
import type { Address } from "viem";
import { verifyReceiptOffline, type VerifyChecks, type VerifyResult } from "../../src/core/receipts/verify";
import type { FetchLike } from "./http";
import type { AnchoredProof, Jwks, ReceiptProof, ReceiptProofResponse, SignedReceipt } from "./types";

export type { VerifyChecks, VerifyResult };

/**
 * Where the keys come from, first match wins:
 *
 *   1. `jwks`: a key set you hold (checked against kids only if `requireKidThumbprint`);
 *   2. `keysUrl`: a receipt-keys document (or any JWK Set) to fetch;
 *   3. `jwksUrl`: a JWK Set to fetch. The service's `/.well-known/jwks.json` lists only
 *      the keys that may sign session tokens today, so receipts signed before the last
 *      two rotations are not in it: prefer `baseUrl` or `keysUrl`;
 *   4. `baseUrl`: the service; fetches `${baseUrl}/.well-known/receipt-keys.json`.
 *
 * Fetched keys are always checked against the receipt's kid: the kid is the first 16
 * characters of the key's RFC 7638 thumbprint and the anchored leaf commits to it, so
 * whoever serves the keys cannot substitute one.
 */
export interface VerifyReceiptOptions {
  /** A key set you hold: the receipt-keys document or a JWKS. */
  jwks?: Jwks;
  /** Where to fetch the receipt-keys document, e.g. `https://remit.example/.well-known/receipt-keys.json`. */
  keysUrl?: string;
  /** Where to fetch a JWK Set (kept for compatibility; see above). */
  jwksUrl?: string;
  /** The service's base URL: keys from `${baseUrl}/.well-known/receipt-keys.json`. */
  baseUrl?: string;
  /**
   * Refuse a key whose RFC 7638 thumbprint does not start with the receipt's kid.
   * Default: true when the keys are fetched, false for `jwks` you pass.
   */
  requireKidThumbprint?: boolean;
  /** JSON-RPC endpoint of the chain the anchor contract lives on. */
  rpcUrl: string;
  /** The RemitAnchor contract; taken from the proof (or its response's anchor) when absent. */
  contract?: string;
  fetch?: FetchLike;
  /**
   * Wait for anchoring: poll `GET /v1/receipts/{id}/proof` until the receipt is anchored or
   * `timeoutMs` passes, then verify. A receipt verifies by its signature alone from the moment it
   * is returned (`verifyReceiptSignature`); waiting is only for the on-chain part.
   */
  wait?: WaitForAnchor;
}

export interface WaitForAnchor {
  timeoutMs: number;
  /** Between polls; default 2 s. */
  everyMs?: number;
  /** Told of the stage on each poll (outbox, ledger, sealed, anchoring, anchored), with `expected_by` and `overdue`. */
  onStage?: (proof: ReceiptProofResponse) => void;
  /** How to read the proof: your own call (e.g. `principal.receiptProof(id)`), or `apiKey` with `baseUrl`. */
  proof?: () => Promise<ReceiptProofResponse>;
  /** A principal API key (or agent credentials via `proof`) for `${baseUrl}/v1/receipts/{id}/proof`. */
  apiKey?: string;
}

/** `wait` ran out before the receipt was anchored. Its signature still verifies on its own (`verifyReceiptSignature`). */
export class NotAnchoredYetError extends Error {
  constructor(
    readonly stage: string,
    readonly expectedBy: string | null,
    readonly overdue: boolean,
  ) {
    super(
      `the receipt is not anchored yet (stage ${stage}${expectedBy ? `, expected by ${expectedBy}${overdue ? ", overdue" : ""}` : ""}); ` +
        "its signature verifies on its own now (verifyReceiptSignature)",
    );
    this.name = "NotAnchoredYetError";
  }
}

/** Polls the proof until anchored (resolving with it) or `timeoutMs` (throwing NotAnchoredYetError). */
export async function waitForAnchor(id: string, wait: WaitForAnchor, options: Pick<VerifyReceiptOptions, "baseUrl" | "fetch"> = {}): Promise<ReceiptProofResponse> {
  const read = wait.proof ?? proofReader(id, wait.apiKey, options);
  const deadline = Date.now() + wait.timeoutMs;
  for (;;) {
    const proof = await read();
    wait.onStage?.(proof);
    if (proof.status === "anchored" && proof.proof) return proof;
    const left = deadline - Date.now();
    if (left <= 0) throw new NotAnchoredYetError(proof.stage, proof.expected_by, proof.overdue);
    await new Promise((r) => setTimeout(r, Math.min(wait.everyMs ?? 2_000, left)));
  }
}

function proofReader(id: string, apiKey: string | undefined, options: Pick<VerifyReceiptOptions, "baseUrl" | "fetch">): () => Promise<ReceiptProofResponse> {
  if (!apiKey || !options.baseUrl) throw new TypeError("wait needs proof(), or apiKey with baseUrl");
  const url = `${options.baseUrl.replace(/\/+$/, "")}/v1/receipts/${encodeURIComponent(id)}/proof`;
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return async () => {
    const res = await fetchImpl(url, { headers: { accept: "application/json", authorization: `Bearer ${apiKey}` } });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return (await res.json()) as ReceiptProofResponse;
  };
}

/**
 * Verifies signature, leaf hash, batch inclusion, period inclusion and the on-chain
 * root. `proof` is the bare inclusion proof or the whole `GET /v1/receipts/{id}/proof`
 * answer (the contract then comes with it). Resolves with `ok` and each check; never throws for a receipt that fails a
 * check (only for missing inputs). With `wait`, a proof not anchored yet is polled for first
 * (NotAnchoredYetError on timeout; the signature alone verifies meanwhile).
 */
export async function verifyReceipt(
  signed: SignedReceipt,
  proof: ReceiptProof | AnchoredProof | ReceiptProofResponse,
  options: VerifyReceiptOptions,
): Promise<VerifyResult> {
  if (options.wait && !unpack(proof, options.contract).inclusion) proof = await waitForAnchor(signed.receipt.id, options.wait, options);
  const { inclusion, contract } = unpack(proof, options.contract);
  if (!inclusion) throw new TypeError("the receipt has no inclusion proof yet (not anchored)");
  if (!contract) throw new TypeError("the anchor contract is unknown: pass options.contract");
  if (!options.rpcUrl) throw new TypeError("rpcUrl is required");
  const jwks = options.jwks ?? (await fetchJwks(options));
  return verifyReceiptOffline({
    signed: signed as Parameters<typeof verifyReceiptOffline>[0]["signed"],
    proof: inclusion,
    jwks,
    requireKidThumbprint: options.requireKidThumbprint ?? options.jwks === undefined,
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

/** The path of the receipt-keys document under the service's base URL. */
export const RECEIPT_KEYS_PATH = "/.well-known/receipt-keys.json";

async function fetchJwks(options: VerifyReceiptOptions): Promise<Jwks> {
  const url = options.keysUrl ?? options.jwksUrl ?? (options.baseUrl ? `${options.baseUrl.replace(/\/+$/, "")}${RECEIPT_KEYS_PATH}` : undefined);
  if (!url) throw new TypeError("jwks, keysUrl, jwksUrl or baseUrl is required");
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const res = await fetchImpl(url, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const jwks = (await res.json()) as Jwks;
  if (!jwks || !Array.isArray(jwks.keys)) throw new Error(`${url} is not a JWK Set`);
  return jwks;
}
