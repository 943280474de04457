import { createPublicClient, custom, encodeAbiParameters, toFunctionSelector, type PublicClient } from "viem";
import { describe, expect, it } from "vitest";
import { hex } from "../../../src/core/encoding";
import { leafHash, MerkleTree, verifyInclusion } from "../../../src/core/receipts/merkle";
import { hashFromHex, periodLeaf, periodTree, receiptProof, type ReceiptProof } from "../../../src/core/receipts/period";
import { publicJwkOf, receiptLeaf, signReceiptSync, type SignedReceipt } from "../../../src/core/receipts/receipt";
import { ed25519Thumbprint, KID_LENGTH, kidNamesKey, verifyReceiptOffline, verifyReceiptProof, type Jwks } from "../../../src/core/receipts/verify";
import { sampleReceipt } from "./fixtures";

const seed = new Uint8Array(32).fill(7);
const jwks: Jwks = {
  keys: [
    { ...publicJwkOf(new Uint8Array(32).fill(9)), kid: "old" },
    { ...publicJwkOf(seed), kid: "k1" },
  ],
};
const CONTRACT = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const PERIOD = 493_812;

// Three batches (sizes 5, 1, 7) sealed into one period.
const batches: SignedReceipt[][] = [5, 1, 7].map((size, b) =>
  Array.from({ length: size }, (_, i) => signReceiptSync(sampleReceipt({ id: `rcp_${b}_${i}`, seq: b * 10 + i }), seed)),
);
const batchTrees = batches.map((receipts) => new MerkleTree(receipts.map((r) => receiptLeaf(r.bytes))));
const period = periodTree(batchTrees.map((t) => t.root));
const all = batches.flatMap((receipts, b) =>
  receipts.map((signed, i) => ({ signed, proof: receiptProof({ batch: batchTrees[b]!, leafIndex: i, periodTree: period, batchIndex: b, period: PERIOD }) })),
);
const sample = all[6]!; // batch 2, leaf 0

const ROOT_OF = toFunctionSelector("rootOf(uint64)");

/** A chain that answers rootOf / countOf from a map, over viem's custom transport (no network). */
function fakeChain(roots: Map<bigint, string>, fail = false): PublicClient {
  return createPublicClient({
    transport: custom({
      async request({ method, params }: { method: string; params?: unknown }) {
        if (fail) throw new Error("connect ECONNREFUSED");
        if (method === "eth_chainId") return "0x7a69";
        if (method !== "eth_call") throw new Error(`unexpected ${method}`);
        const data = (params as Array<{ data: string }>)[0]!.data;
        const p = BigInt(`0x${data.slice(10)}`);
        const root = roots.get(p) ?? `0x${"0".repeat(64)}`;
        return data.startsWith(ROOT_OF) ? root : encodeAbiParameters([{ type: "uint64" }], [13n]);
      },
    }),
  });
}

describe("period tree", () => {
  it("periodLeaf(batchRoot) = SHA-256(0x00 || batchRoot)", () => {
    const root = batchTrees[0]!.root;
    expect(hex(periodLeaf(root))).toBe(hex(leafHash(root)));
    expect(() => periodLeaf(new Uint8Array(31))).toThrow();
  });

  it("every receipt of every batch has a proof that checks at both levels", () => {
    for (const { signed, proof } of all) {
      expect(verifyReceiptProof(signed, proof, jwks)).toEqual({ ok: true, checks: { signature: true, leaf: true, batch: true, period: true } });
      const batchPath = proof.batch_path.map(hashFromHex);
      expect(verifyInclusion(receiptLeaf(signed.bytes), proof.leaf_index, proof.batch_size, batchPath, hashFromHex(proof.batch_root))).toBe(true);
    }
    expect(sample.proof).toMatchObject({ leaf_index: 0, batch_size: 7, batch_index: 2, period_size: 3, period: PERIOD });
    expect(sample.proof.period_root).toBe(hex(period.root));
  });

  it("a single batch, single receipt period: both paths are empty", () => {
    const signed = signReceiptSync(sampleReceipt(), seed);
    const batch = new MerkleTree([receiptLeaf(signed.bytes)]);
    const p = periodTree([batch.root]);
    const proof = receiptProof({ batch, leafIndex: 0, periodTree: p, batchIndex: 0, period: 1 });
    expect(proof.batch_path).toEqual([]);
    expect(proof.period_path).toEqual([]);
    expect(proof.batch_root).toBe(signed.leaf_hash);
    expect(verifyReceiptProof(signed, proof, jwks).ok).toBe(true);
  });
});

describe("offline verification, local checks", () => {
  const tamper = (change: (p: ReceiptProof, s: SignedReceipt) => void): { p: ReceiptProof; s: SignedReceipt } => {
    const p = structuredClone(sample.proof);
    const s = structuredClone(sample.signed);
    change(p, s);
    return { p, s };
  };
  const cases: Array<[string, (p: ReceiptProof, s: SignedReceipt) => void, keyof ReturnType<typeof verifyReceiptProof>["checks"]]> = [
    ["unknown kid", (_p, s) => void (s.receipt.kid = "nope"), "signature"],
    ["receipt edited", (_p, s) => void (s.receipt.amount = "1"), "signature"],
    ["leaf_hash edited", (_p, s) => void (s.leaf_hash = "00" + s.leaf_hash.slice(2)), "leaf"],
    ["leaf index", (p) => void (p.leaf_index = 1), "batch"],
    ["batch size", (p) => void (p.batch_size = 9), "batch"],
    ["batch path element", (p) => void (p.batch_path[0] = "ff" + p.batch_path[0]!.slice(2)), "batch"],
    ["batch path truncated", (p) => void p.batch_path.pop(), "batch"],
    ["batch path malformed", (p) => void (p.batch_path[0] = "xyz"), "batch"],
    ["batch root", (p) => void (p.batch_root = hex(batchTrees[0]!.root)), "batch"],
    ["batch index", (p) => void (p.batch_index = 0), "period"],
    ["period size", (p) => void (p.period_size = 4), "period"],
    ["period path extra", (p) => void p.period_path.push("00".repeat(32)), "period"],
    ["period root", (p) => void (p.period_root = "11".repeat(32)), "period"],
  ];
  it.each(cases)("%s → %s fails", (_name, change, failing) => {
    const { p, s } = tamper(change);
    const result = verifyReceiptProof(s, p, jwks);
    expect(result.ok).toBe(false);
    expect(result.checks[failing]).toBe(false);
    expect(result.reason).toMatch(new RegExp(`^${failing}:`));
  });

  it("accepts 0x-prefixed hashes", () => {
    const p = structuredClone(sample.proof);
    p.batch_path = p.batch_path.map((h) => `0x${h}`);
    p.period_root = `0x${p.period_root}`;
    expect(verifyReceiptProof(sample.signed, p, jwks).ok).toBe(true);
  });
});

describe("offline verification, chain check (fake RPC)", () => {
  const base = { jwks, rpcUrl: "http://unused.invalid", contract: CONTRACT } as const;

  it("ok when rootOf(period) is the period root", async () => {
    const client = fakeChain(new Map([[BigInt(PERIOD), `0x${sample.proof.period_root}`]]));
    const result = await verifyReceiptOffline({ ...base, ...sample, publicClient: client });
    expect(result).toEqual({ ok: true, checks: { signature: true, leaf: true, batch: true, period: true, chain: true } });
  });

  it("fails when the period is not anchored, holds another root, or the RPC is down", async () => {
    const none = await verifyReceiptOffline({ ...base, ...sample, publicClient: fakeChain(new Map()) });
    expect(none.ok).toBe(false);
    expect(none.checks).toMatchObject({ signature: true, period: true, chain: false });
    expect(none.reason).toMatch(/not anchored/);

    const other = await verifyReceiptOffline({ ...base, ...sample, publicClient: fakeChain(new Map([[BigInt(PERIOD), `0x${"22".repeat(32)}`]])) });
    expect(other.checks.chain).toBe(false);
    expect(other.reason).toMatch(/holds 0x2222/);

    const down = await verifyReceiptOffline({ ...base, ...sample, publicClient: fakeChain(new Map(), true) });
    expect(down.checks.chain).toBe(false);
    expect(down.reason).toMatch(/^chain:/);
  });

  it("reports the first local failure even when the chain agrees", async () => {
    const client = fakeChain(new Map([[BigInt(PERIOD), `0x${sample.proof.period_root}`]]));
    const signed = { ...sample.signed, signature: sample.signed.signature.replace(/^./, (c) => (c === "A" ? "B" : "A")) };
    const result = await verifyReceiptOffline({ ...base, signed, proof: sample.proof, publicClient: client });
    expect(result.ok).toBe(false);
    expect(result.checks).toEqual({ signature: false, leaf: true, batch: true, period: true, chain: true });
    expect(result.reason).toMatch(/^signature:/);
  });
});

describe("requireKidThumbprint: the kid must name the key", () => {
  // The service's kid: the first 16 characters of the key's RFC 7638 thumbprint.
  const jwk = publicJwkOf(seed);
  const serviceKid = ed25519Thumbprint(jwk.x).slice(0, KID_LENGTH);
  const bound = signReceiptSync(sampleReceipt({ id: "rcp_bound", kid: serviceKid }), seed);
  const tree = new MerkleTree([receiptLeaf(bound.bytes)]);
  const boundProof = receiptProof({ batch: tree, leafIndex: 0, periodTree: periodTree([tree.root]), batchIndex: 0, period: PERIOD });

  it('is off by default: a key set with other kids ("k1") still verifies', () => {
    expect(verifyReceiptProof(sample.signed, sample.proof, jwks).ok).toBe(true);
  });

  it("refuses a key whose thumbprint does not start with the kid it is published under", () => {
    const r = verifyReceiptProof(sample.signed, sample.proof, jwks, { requireKidThumbprint: true });
    expect(r).toMatchObject({ ok: false, checks: { signature: false, leaf: true, batch: true, period: true } });
    expect(r.reason).toMatch(/thumbprint/);
  });

  it("accepts the key its kid names", () => {
    const r = verifyReceiptProof(bound, boundProof, { keys: [{ ...jwk, kid: serviceKid }] }, { requireKidThumbprint: true });
    expect(r).toEqual({ ok: true, checks: { signature: true, leaf: true, batch: true, period: true } });
  });

  it("refuses a substitute key published under the receipt's kid, even one that signed the bytes", () => {
    // Whoever serves the keys signs the same bytes with its own key and publishes that key under the kid.
    const other = new Uint8Array(32).fill(3);
    const forged = signReceiptSync(JSON.parse(bound.bytes), other);
    expect(forged.bytes).toBe(bound.bytes);
    const substitute = { keys: [{ ...publicJwkOf(other), kid: serviceKid }] };
    expect(verifyReceiptProof(forged, boundProof, substitute).checks.signature).toBe(true);
    const r = verifyReceiptProof(forged, boundProof, substitute, { requireKidThumbprint: true });
    expect(r.checks.signature).toBe(false);
    expect(r.reason).toMatch(/thumbprint/);
  });

  it("needs at least 16 characters: a shorter prefix of the thumbprint is refused", () => {
    expect(kidNamesKey(serviceKid, jwk.x)).toBe(true);
    expect(kidNamesKey(ed25519Thumbprint(jwk.x), jwk.x)).toBe(true);
    expect(kidNamesKey(serviceKid.slice(0, 8), jwk.x)).toBe(false);
    expect(kidNamesKey("", jwk.x)).toBe(false);
    expect(kidNamesKey(undefined, jwk.x)).toBe(false);
  });

  it("is passed through by verifyReceiptOffline", async () => {
    const client = fakeChain(new Map([[BigInt(PERIOD), `0x${sample.proof.period_root}`]]));
    const base = { jwks, rpcUrl: "http://unused", contract: CONTRACT as `0x${string}`, publicClient: client };
    expect((await verifyReceiptOffline({ ...base, ...sample })).ok).toBe(true);
    const strict = await verifyReceiptOffline({ ...base, ...sample, requireKidThumbprint: true });
    expect(strict).toMatchObject({ ok: false, checks: { signature: false, chain: true } });
    expect(strict.reason).toMatch(/thumbprint/);
  });
});
