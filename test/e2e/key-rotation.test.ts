/**
 * Invariant 7 after key rotations (Node; the real worker under wrangler dev with its
 * storage persisted on disk, restarted with a new signing key each time; a real anvil).
 *
 * The worker starts with signing key A, then is restarted with B (previous A), C
 * (previous B) and D (previous C); one spend in each era, then the operator settles
 * until every receipt is anchored. Every receipt — A's, B's, C's and D's — then
 * verifies offline with the SDK against anvil and the service's receipt-keys
 * document, although the JWKS (which keys sign session tokens today) lists only D and C.
 * A receipt whose kid is swapped for another published key's fails, and a session
 * token signed by A is refused.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyReceipt, type ReceiptKeySet, type ReceiptProofResponse, type SignedReceipt } from "@remit/sdk";
import { removeDataDir, tempDataDir } from "../support/anvil";
import type { TestStack } from "../support/stack";
import {
  agentRequest,
  grantTree,
  http,
  ledgerTotals,
  proofOf,
  removeChain,
  settleNow,
  spendOnce,
  startChain,
  startWorker,
  until,
  type Chain,
  type Spender,
} from "../support/settlement-stack";

/** Four signing keys, A to D: 32-byte Ed25519 seeds, base64url. */
const SEEDS = Array.from({ length: 4 }, () => randomBytes(32).toString("base64url"));
const ADMIN_TOKEN = `dev_${randomBytes(24).toString("base64url")}`;
// Fixed across eras: the API keys minted in the first era carry a checksum keyed by it.
const API_KEY_SECRET = randomBytes(32).toString("base64url");

let chain: Chain;
let persistDir: string;
let worker: TestStack | null = null;
/** Era by era: the tree granted in it and its receipt. */
const eras: { spender: Spender; receipt: string; kid?: string }[] = [];
let principal: { id: string; apiKey: string };

/** (Re)starts the worker signing with SEEDS[era], SEEDS[era - 1] as the previous key. */
async function startEra(era: number): Promise<TestStack> {
  await worker?.stop();
  worker = null;
  const devVars = join(persistDir, `era-${era}.vars`);
  const lines = [`REMIT_ADMIN_TOKEN=${ADMIN_TOKEN}`, `REMIT_API_KEY_SECRET=${API_KEY_SECRET}`, "REMIT_ENV=development", `REMIT_SIGNING_KEY=${SEEDS[era]}`];
  if (era > 0) lines.push(`REMIT_SIGNING_KEY_PREVIOUS=${SEEDS[era - 1]}`);
  await writeFile(devVars, `${lines.join("\n")}\n`, { mode: 0o600 });
  worker = await startWorker(persistDir, chain, {}, { devVarsPath: devVars });
  return worker;
}

const w = () => worker!;

async function jwksKids(): Promise<string[]> {
  const r = await http(w().url, "GET", "/.well-known/jwks.json");
  expect(r.status).toBe(200);
  return r.json.keys.map((k: { kid: string }) => k.kid);
}

beforeAll(async () => {
  chain = await startChain();
  persistDir = await tempDataDir("remit-key-rotation-");
  for (let era = 0; era < SEEDS.length; era++) {
    await startEra(era);
    if (era === 0) principal = await w().createPrincipal("Rotations");
    const spender = await grantTree(w().url, principal);
    const receipt = await spendOnce(w().url, spender, 10 + era);
    eras.push({ spender, receipt });
    // Each era's receipt reaches its ledger shard before the next key takes over.
    await until(
      "the era's receipt in a ledger shard",
      () => ledgerTotals(w()),
      (t) => t.received === era + 1,
      60_000,
    );
  }
  // Settle until every receipt's period is anchored.
  await until(
    "every receipt anchored",
    async () => {
      await settleNow(w());
      return Promise.all(eras.map((e) => proofOf(w().url, principal.apiKey, e.receipt)));
    },
    (answers) => answers.every((a) => a.proof !== null),
    120_000,
    500,
  );
}, 600_000);

afterAll(async () => {
  await worker?.stop();
  if (chain) await removeChain(chain);
  if (persistDir) await removeDataDir(persistDir);
}, 60_000);

describe("three rotations later", () => {
  it("each era's receipt is signed by that era's key: four different kids", async () => {
    for (const era of eras) era.kid = (await proofOf(w().url, principal.apiKey, era.receipt)).receipt.receipt.kid;
    expect(new Set(eras.map((e) => e.kid)).size).toBe(4);
  });

  it("every receipt, A's to D's, verifies offline with the SDK against the chain and the receipt-keys document", async () => {
    for (const [i, era] of eras.entries()) {
      const answer = (await proofOf(w().url, principal.apiKey, era.receipt)) as ReceiptProofResponse;
      const result = await verifyReceipt(answer.receipt as SignedReceipt, answer, { baseUrl: w().url, rpcUrl: chain.rpcUrl });
      expect(result, `receipt of era ${"ABCD"[i]}`).toEqual({ ok: true, checks: { signature: true, leaf: true, batch: true, period: true, chain: true } });
    }
  });

  it("the same, from a copy of the document held offline, and from its explicit URL", async () => {
    const keys = (await http(w().url, "GET", "/.well-known/receipt-keys.json")).json as ReceiptKeySet;
    for (const era of eras) {
      const answer = (await proofOf(w().url, principal.apiKey, era.receipt)) as ReceiptProofResponse;
      const signed = answer.receipt as SignedReceipt;
      expect(await verifyReceipt(signed, answer, { jwks: keys, requireKidThumbprint: true, rpcUrl: chain.rpcUrl })).toMatchObject({ ok: true });
      expect(await verifyReceipt(signed, answer, { keysUrl: `${w().url}/.well-known/receipt-keys.json`, rpcUrl: chain.rpcUrl })).toMatchObject({ ok: true });
    }
  });

  it("the receipt-keys document lists all four keys, newest first, each closed when the next registered", async () => {
    const r = await http(w().url, "GET", "/.well-known/receipt-keys.json");
    expect(r.status).toBe(200);
    const keys = (r.json as ReceiptKeySet).keys;
    expect(keys.map((k) => k.kid)).toEqual([eras[3]!.kid, eras[2]!.kid, eras[1]!.kid, eras[0]!.kid]);
    expect(keys[0]!.signing_until).toBeNull();
    for (let i = 1; i < keys.length; i++) {
      expect(keys[i]!.signing_until, keys[i]!.kid).toBe(keys[i - 1]!.signing_from);
      expect(Date.parse(keys[i]!.signing_from)).toBeLessThanOrEqual(Date.parse(keys[i]!.signing_until!));
    }
  });

  it("a receipt whose kid is swapped for another published key's does not verify", async () => {
    const answer = (await proofOf(w().url, principal.apiKey, eras[0]!.receipt)) as ReceiptProofResponse;
    const signed = answer.receipt as SignedReceipt;
    // The kid as the receipt object says it …
    const relabelled = { ...signed, receipt: { ...signed.receipt, kid: eras[1]!.kid! } };
    const a = await verifyReceipt(relabelled, answer, { baseUrl: w().url, rpcUrl: chain.rpcUrl });
    expect(a.ok).toBe(false);
    expect(a.checks.signature).toBe(false);
    // … and in the signed bytes: the leaf no longer matches what was anchored either.
    const bytes = signed.bytes.replace(`"kid":"${eras[0]!.kid}"`, `"kid":"${eras[1]!.kid}"`);
    expect(bytes).not.toBe(signed.bytes);
    const b = await verifyReceipt({ ...relabelled, bytes }, answer, { baseUrl: w().url, rpcUrl: chain.rpcUrl });
    expect(b).toMatchObject({ ok: false, checks: { signature: false, leaf: false } });
  });

  it("a key set that publishes another key under A's kid is caught by the kid's thumbprint", async () => {
    const answer = (await proofOf(w().url, principal.apiKey, eras[0]!.receipt)) as ReceiptProofResponse;
    const keys = (await http(w().url, "GET", "/.well-known/receipt-keys.json")).json as ReceiptKeySet;
    const substitute = { keys: keys.keys.map((k) => (k.kid === eras[0]!.kid ? { ...k, x: keys.keys[0]!.x } : k)) };
    const r = await verifyReceipt(answer.receipt as SignedReceipt, answer, { jwks: substitute, requireKidThumbprint: true, rpcUrl: chain.rpcUrl });
    expect(r).toMatchObject({ ok: false, checks: { signature: false } });
    expect(r.reason).toMatch(/thumbprint/);
  });

  it("the JWKS alone, which lists only today's token keys, cannot verify A's receipt", async () => {
    const answer = (await proofOf(w().url, principal.apiKey, eras[0]!.receipt)) as ReceiptProofResponse;
    const r = await verifyReceipt(answer.receipt as SignedReceipt, answer, { jwksUrl: `${w().url}/.well-known/jwks.json`, rpcUrl: chain.rpcUrl });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/no key .* in the JWKS/);
  });

  it("the JWKS lists only D and C: the keys that may sign session tokens today", async () => {
    expect(await jwksKids()).toEqual([eras[3]!.kid, eras[2]!.kid]);
  });

  it("a session token signed by A is refused", async () => {
    const r = await agentRequest(w().url, eras[0]!.spender, "GET", "/v1/session");
    expect(r.status).toBe(401);
    expect(r.json.type).toMatch(/invalid-token$/);
  });

  it("a token signed by C (the previous key) is still accepted", async () => {
    const r = await agentRequest(w().url, eras[2]!.spender, "GET", "/v1/session");
    expect(r.status).toBe(200);
  });
});
