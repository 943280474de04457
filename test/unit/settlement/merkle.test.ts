import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { fromHex, hex } from "../../../src/core/encoding";
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  MerkleLog,
  MerkleTree,
  nodeHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from "../../../src/core/receipts/merkle";

// ---- A naive RFC 9162 §2.1 implementation, written straight from the text, over raw entries
// (its own hashing, its own recursion: nothing shared with the code under test).
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const k = (n: number): number => 2 ** Math.ceil(Math.log2(n) - 1); // largest power of 2 < n
// D[lo:hi] of `entries` (below); MTH memoized by range so the naive side stays cheap.
const memo = new Map<string, Hash>();
function MTH(lo: number, hi: number): Hash {
  const key = `${lo}:${hi}`;
  let h = memo.get(key);
  if (!h) {
    const n = hi - lo;
    if (n === 0) h = sha256(new Uint8Array(0));
    else if (n === 1) h = sha256(cat(Uint8Array.of(0), entries[lo]!));
    else h = sha256(cat(Uint8Array.of(1), MTH(lo, lo + k(n)), MTH(lo + k(n), hi)));
    memo.set(key, h);
  }
  return h;
}
function PATH(m: number, lo: number, hi: number): Hash[] {
  const n = hi - lo;
  if (n === 1) return [];
  const s = k(n);
  return m < s ? [...PATH(m, lo, lo + s), MTH(lo + s, hi)] : [...PATH(m - s, lo + s, hi), MTH(lo, lo + s)];
}
function SUBPROOF(m: number, lo: number, hi: number, b: boolean): Hash[] {
  const n = hi - lo;
  if (m === n) return b ? [] : [MTH(lo, hi)];
  const s = k(n);
  return m <= s ? [...SUBPROOF(m, lo, lo + s, b), MTH(lo + s, hi)] : [...SUBPROOF(m - s, lo + s, hi, false), MTH(lo, lo + s)];
}
const PROOF = (m: number, n: number): Hash[] => SUBPROOF(m, 0, n, true);

const MAX = 64;
const entries = Array.from({ length: MAX * 2 }, (_, i) => sha256(Uint8Array.of(i, i >> 8, 7)).slice(0, 1 + (i % 40)));
const leaves = entries.map(leafHash);
const roots = Array.from({ length: MAX * 2 + 1 }, (_, n) => MTH(0, n));
const hexes = (hs: Hash[]): string[] => hs.map(hex);
const flip = (h: Hash, bit: number): Hash => {
  const c = h.slice();
  c[(bit >> 3) % 32]! ^= 1 << (bit & 7);
  return c;
};
const junk = new Uint8Array(32).fill(0xab);

describe("RFC 9162 hashes", () => {
  it("match the RFC 6962 / CT reference tree heads", () => {
    const ct = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(fromHex);
    const expected = [
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    const ctLeaves = ct.map(leafHash);
    for (let n = 0; n <= 8; n++) expect(hex(rootOf(ctLeaves.slice(0, n))), `size ${n}`).toBe(expected[n]);
    expect(hexes(inclusionProof(ctLeaves, 0))).toEqual([
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]);
    expect(hexes(inclusionProof(ctLeaves, 5))).toEqual([
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]);
    expect(hexes(consistencyProof(ctLeaves, 6))).toEqual([
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]);
    expect(hexes(consistencyProof(ctLeaves.slice(0, 5), 2))).toEqual([
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]);
  });

  it("leaf and node hashes carry the 0x00 / 0x01 prefixes; the empty tree is SHA-256('')", () => {
    const a = Uint8Array.of(1, 2, 3);
    expect(hex(leafHash(a))).toBe(hex(sha256(Uint8Array.of(0, 1, 2, 3))));
    const l = leafHash(a);
    const r = leafHash(Uint8Array.of(9));
    expect(hex(nodeHash(l, r))).toBe(hex(sha256(cat(Uint8Array.of(1), l, r))));
    expect(hex(EMPTY_ROOT)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex(rootOf([]))).toBe(hex(EMPTY_ROOT));
  });
});

describe.each(Array.from({ length: MAX }, (_, i) => i + 1))("tree of size %i", (n) => {
  const tree = new MerkleTree(leaves.slice(0, n));
  const root = roots[n]!;

  it("root = naive MTH, and MerkleLog agrees", () => {
    expect(hex(tree.root)).toBe(hex(root));
    expect(hex(rootOf(leaves.slice(0, n)))).toBe(hex(root));
    const log = new MerkleLog();
    for (const l of leaves.slice(0, n)) log.append(l);
    expect(hex(log.root())).toBe(hex(root));
  });

  // Collects every surprise, then asserts there were none (one expect per test keeps it fast).
  const check = (wrong: string[], label: string, got: boolean, want: boolean): void => {
    if (got !== want) wrong.push(`${label}: ${got}`);
  };

  it("every inclusion proof = naive PATH, verifies, and tampering is refused", () => {
    const wrong: string[] = [];
    for (let i = 0; i < n; i++) {
      const proof = tree.inclusionProof(i);
      const naive = hexes(PATH(i, 0, n));
      if (hexes(proof).join() !== naive.join()) wrong.push(`PATH(${i}) differs from the naive one`);
      const leaf = leaves[i]!;
      check(wrong, `${i} verifies`, verifyInclusion(leaf, i, n, proof, root), true);
      check(wrong, `${i} other leaf`, verifyInclusion(flip(leaf, i), i, n, proof, root), false);
      check(wrong, `${i} other root`, verifyInclusion(leaf, i, n, proof, flip(root, i + 3)), false);
      proof.forEach((_, j) => {
        const bad = proof.slice();
        bad[j] = flip(proof[j]!, i * 7 + j);
        check(wrong, `${i} bit flipped in element ${j}`, verifyInclusion(leaf, i, n, bad, root), false);
      });
      for (const j of new Set([-1, 0, i - 1, i + 1, i ^ 1, i ^ 2, n - 1, n, n + 1])) {
        if (j !== i) check(wrong, `${i} as index ${j}`, verifyInclusion(leaf, j, n, proof, root), false);
      }
      // A wrong size does not lead to the root of a tree of that size.
      for (const m of [n - 1, n + 1, 2 * n]) {
        if (m > i && m !== n) check(wrong, `${i} as size ${m}`, verifyInclusion(leaf, i, m, proof, roots[m]!), false);
      }
      if (proof.length > 0) check(wrong, `${i} truncated`, verifyInclusion(leaf, i, n, proof.slice(0, -1), root), false);
      check(wrong, `${i} extra element`, verifyInclusion(leaf, i, n, [...proof, junk], root), false);
      check(wrong, `${i} extra root`, verifyInclusion(leaf, i, n, [...proof, root], root), false);
    }
    expect(wrong).toEqual([]);
  });

  it("every consistency proof = naive PROOF, verifies, and tampering is refused", () => {
    const wrong: string[] = [];
    const d = leaves.slice(0, n);
    for (let m = 0; m <= n; m++) {
      const proof = consistencyProof(d, m);
      const old = roots[m]!;
      const naive = m > 0 && m < n ? hexes(PROOF(m, n)) : [];
      if (hexes(proof).join() !== naive.join()) wrong.push(`PROOF(${m}) differs from the naive one`);
      check(wrong, `${m} verifies`, verifyConsistency(m, n, proof, old, root), true);
      check(wrong, `${m} other old root`, verifyConsistency(m, n, proof, flip(old, m), root), false);
      if (m > 0 && m < n) check(wrong, `${m} other new root`, verifyConsistency(m, n, proof, old, flip(root, m)), false);
      proof.forEach((_, j) => {
        const bad = proof.slice();
        bad[j] = flip(proof[j]!, m * 5 + j);
        check(wrong, `${m} bit flipped in element ${j}`, verifyConsistency(m, n, bad, old, root), false);
      });
      if (m > 0 && m < n) {
        for (const m2 of [m - 1, m + 1]) if (m2 !== m) check(wrong, `${m} as ${m2}`, verifyConsistency(m2, n, proof, roots[m2]!, root), false);
        check(wrong, `${m} to size ${n + 1}`, verifyConsistency(m, n + 1, proof, old, roots[n + 1]!), false);
        check(wrong, `${m} to size ${n - 1}`, verifyConsistency(m, n - 1, proof, old, roots[n - 1]!), false);
        check(wrong, `${m} truncated`, verifyConsistency(m, n, proof.slice(0, -1), old, root), false);
        check(wrong, `${m} first dropped`, verifyConsistency(m, n, proof.slice(1), old, root), false);
        check(wrong, `${m} extra element`, verifyConsistency(m, n, [...proof, junk], old, root), false);
      } else {
        check(wrong, `${m} non-empty proof`, verifyConsistency(m, n, [junk], old, root), false);
      }
      check(wrong, `${m} reversed`, verifyConsistency(n, m, proof, root, old), m === n);
    }
    expect(wrong).toEqual([]);
  });
});

describe("MerkleLog", () => {
  it("keeps popcount(size) peaks, survives toJSON/fromJSON at every size and matches rootOf", () => {
    let log = new MerkleLog();
    expect(hex(log.root())).toBe(hex(EMPTY_ROOT));
    for (let i = 0; i < leaves.length; i++) {
      expect(log.append(leaves[i]!)).toBe(i);
      const state = log.toJSON();
      expect(state.size).toBe(i + 1);
      expect(state.peaks.length).toBe((i + 1).toString(2).replace(/0/g, "").length);
      log = MerkleLog.fromJSON(JSON.parse(JSON.stringify(state)));
      expect(hex(log.root())).toBe(hex(roots[i + 1]!));
    }
  });

  it("refuses inconsistent state and malformed leaves", () => {
    expect(() => MerkleLog.fromJSON({ size: 3, peaks: [hex(junk)] })).toThrow();
    expect(() => MerkleLog.fromJSON({ size: 1, peaks: ["abcd"] })).toThrow();
    expect(() => MerkleLog.fromJSON({ size: -1, peaks: [] })).toThrow();
    expect(() => new MerkleLog().append(new Uint8Array(31))).toThrow();
  });

  it("is fast: 20 000 appends and a root", () => {
    const log = new MerkleLog();
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++) log.append(leaves[i % leaves.length]!);
    log.root();
    expect(log.size).toBe(20_000);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});

describe("argument checks", () => {
  it("proof generators refuse out-of-range indices", () => {
    expect(() => inclusionProof(leaves.slice(0, 4), 4)).toThrow(RangeError);
    expect(() => inclusionProof([], 0)).toThrow(RangeError);
    expect(() => consistencyProof(leaves.slice(0, 4), 5)).toThrow(RangeError);
    expect(() => consistencyProof(leaves.slice(0, 4), -1)).toThrow(RangeError);
  });
  it("verifiers refuse non-integer sizes", () => {
    const proof = inclusionProof(leaves.slice(0, 4), 1);
    expect(verifyInclusion(leaves[1]!, 1.5, 4, proof, roots[4]!)).toBe(false);
    expect(verifyInclusion(leaves[1]!, 1, Number.NaN, proof, roots[4]!)).toBe(false);
    expect(verifyConsistency(1, 4.5, [], roots[1]!, roots[4]!)).toBe(false);
  });
});
