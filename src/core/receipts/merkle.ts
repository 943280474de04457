/**
 * RFC 9162 §2.1 Merkle trees (Certificate Transparency v2), over SHA-256.
 *
 * Every function here takes *leaf hashes* (the output of `leafHash`), never raw
 * entries, so a tree can be rebuilt from what a log stores. Tree sizes and
 * indices are JS numbers (safe integers).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { fromHex, hex } from "../encoding";

export type Hash = Uint8Array;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

/** MTH({d}) = SHA-256(0x00 || d). */
export function leafHash(bytes: Uint8Array): Hash {
  const buf = new Uint8Array(1 + bytes.length);
  buf[0] = LEAF_PREFIX;
  buf.set(bytes, 1);
  return sha256(buf);
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = NODE_PREFIX;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return sha256(buf);
}

export function equalHashes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * A whole tree, level by level: pairing nodes left to right and carrying an odd
 * last node up unchanged builds exactly the left-balanced tree of RFC 9162's MTH
 * (split at the largest power of two below n). O(n) to build, O(log n) per proof.
 */
export class MerkleTree {
  readonly size: number;
  readonly root: Hash;
  private readonly levels: Hash[][];

  constructor(leafHashes: readonly Hash[]) {
    this.size = leafHashes.length;
    const levels: Hash[][] = [leafHashes.slice()];
    let level = levels[0]!;
    while (level.length > 1) {
      const up: Hash[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) up.push(nodeHash(level[i]!, level[i + 1]!));
      if (level.length % 2 === 1) up.push(level[level.length - 1]!);
      levels.push(up);
      level = up;
    }
    this.levels = levels;
    this.root = level[0] ?? EMPTY_ROOT;
  }

  /** PATH(index, D[n]) (§2.1.3.1): sibling hashes from the leaf up to the root. */
  inclusionProof(index: number): Hash[] {
    checkIndex(index, this.size);
    const path: Hash[] = [];
    let i = index;
    for (let d = 0; d < this.levels.length - 1; d++) {
      const level = this.levels[d]!;
      const sibling = i % 2 === 0 ? i + 1 : i - 1;
      if (sibling < level.length) path.push(level[sibling]!);
      i = Math.floor(i / 2);
    }
    return path;
  }
}

/** MTH(D[n]) (§2.1.1). */
export function rootOf(leafHashes: readonly Hash[]): Hash {
  return new MerkleTree(leafHashes).root;
}

/** PATH(index, D[n]) (§2.1.3.1). For many proofs over one tree, build a `MerkleTree` once. */
export function inclusionProof(leafHashes: readonly Hash[], index: number): Hash[] {
  return new MerkleTree(leafHashes).inclusionProof(index);
}

/**
 * §2.1.3.2: does `proof` show the leaf at `index` in a tree of `treeSize` with `root`?
 * (As in the RFC, the root alone does not pin the size: a proof may also pass with a
 * size whose tree has the same shape along this path. Inclusion stays sound — the
 * leaf hashes up to the root either way.)
 */
export function verifyInclusion(leaf: Hash, index: number, treeSize: number, proof: readonly Hash[], root: Hash): boolean {
  if (!isCount(index) || !isCount(treeSize) || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHashes(r, root);
}

/** PROOF(m, D[n]) (§2.1.4.1). Empty when m is 0 or n (nothing to prove). */
export function consistencyProof(leafHashes: readonly Hash[], m: number): Hash[] {
  const n = leafHashes.length;
  if (!isCount(m) || m > n) throw new RangeError(`consistency proof: m=${m} outside 0..${n}`);
  if (m === 0 || m === n) return [];
  const out: Hash[] = [];
  subproof(leafHashes, 0, n, m, true, out);
  return out;
}

function subproof(d: readonly Hash[], lo: number, hi: number, m: number, whole: boolean, out: Hash[]): void {
  const n = hi - lo;
  if (m === n) {
    if (!whole) out.push(rootOf(d.slice(lo, hi)));
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproof(d, lo, lo + k, m, whole, out);
    out.push(rootOf(d.slice(lo + k, hi)));
  } else {
    subproof(d, lo + k, hi, m - k, false, out);
    out.push(rootOf(d.slice(lo, lo + k)));
  }
}

/**
 * §2.1.4.2: is the tree of size n with `newRoot` an append-only extension of the
 * tree of size m with `oldRoot`? m = n needs an empty proof and equal roots;
 * m = 0 needs an empty proof and the empty root.
 */
export function verifyConsistency(m: number, n: number, proof: readonly Hash[], oldRoot: Hash, newRoot: Hash): boolean {
  if (!isCount(m) || !isCount(n) || m > n) return false;
  if (m === n) return proof.length === 0 && equalHashes(oldRoot, newRoot);
  if (m === 0) return proof.length === 0 && equalHashes(oldRoot, EMPTY_ROOT);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(m) ? [oldRoot, ...proof] : proof;
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHashes(fr, oldRoot) && equalHashes(sr, newRoot);
}

export interface MerkleLogState {
  size: number;
  /** Roots of the perfect subtrees that make up the tree, largest (leftmost) first, hex. */
  peaks: string[];
}

/**
 * An append-only log that keeps only the roots of its perfect subtrees (one per
 * set bit of `size`, the "compact range"): O(log n) state, O(log n) per append
 * and per root, and `root()` equals `rootOf` of every leaf appended so far.
 */
export class MerkleLog {
  #size: number;
  #peaks: Hash[];

  constructor(state?: MerkleLogState) {
    this.#size = 0;
    this.#peaks = [];
    if (state) {
      if (!isCount(state.size) || !Array.isArray(state.peaks) || state.peaks.length !== popcount(state.size)) {
        throw new Error("MerkleLog: inconsistent state (peaks must match the set bits of size)");
      }
      this.#peaks = state.peaks.map((p) => {
        const h = fromHex(p);
        if (h.length !== 32) throw new Error("MerkleLog: a peak must be 32 bytes");
        return h;
      });
      this.#size = state.size;
    }
  }

  static fromJSON(state: MerkleLogState): MerkleLog {
    return new MerkleLog(state);
  }

  get size(): number {
    return this.#size;
  }

  /** Appends one leaf hash; returns its index. */
  append(leaf: Hash): number {
    if (leaf.length !== 32) throw new Error("MerkleLog: a leaf hash must be 32 bytes");
    const index = this.#size;
    let h = leaf;
    // Each trailing 1 bit of the old size is a perfect subtree the new leaf completes.
    for (let s = index; s % 2 === 1; s = Math.floor(s / 2)) h = nodeHash(this.#peaks.pop()!, h);
    this.#peaks.push(h);
    this.#size = index + 1;
    return index;
  }

  root(): Hash {
    const peaks = this.#peaks;
    if (peaks.length === 0) return EMPTY_ROOT;
    let r = peaks[peaks.length - 1]!;
    for (let i = peaks.length - 2; i >= 0; i--) r = nodeHash(peaks[i]!, r);
    return r;
  }

  toJSON(): MerkleLogState {
    return { size: this.#size, peaks: this.#peaks.map(hex) };
  }
}

function isCount(x: number): boolean {
  return Number.isSafeInteger(x) && x >= 0;
}

function isPowerOfTwo(x: number): boolean {
  let k = 1;
  while (k < x) k *= 2;
  return k === x;
}

/** The largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v > 0; v = Math.floor(v / 2)) c += v % 2;
  return c;
}

function checkIndex(index: number, size: number): void {
  if (!isCount(index) || index >= size) throw new RangeError(`leaf index ${index} outside 0..${size - 1}`);
}
