/**
 * Two levels of RFC 9162 trees: receipts → batch root (per ledger shard batch),
 * batch roots → period root (the one value written on chain per period).
 *
 * The period tree's leaves are the batch roots *as entries*:
 *
 *   periodLeaf(batchRoot) = leafHash(batchRoot) = SHA-256(0x00 || batchRoot)   (batchRoot: its 32 raw bytes)
 *   periodRoot = MTH(periodLeaf(batchRoot_0), …, periodLeaf(batchRoot_{k-1}))
 *
 * in the order the settlement cron lists the batches. Hashing the batch root as a
 * leaf (rather than grafting it in as an inner node) keeps the two trees'
 * domains apart: no batch root can pass for a subtree of the period tree.
 *
 * Hashes in proofs are lowercase hex without 0x (like `leaf_hash`); readers accept 0x too.
 */
import { fromHex, hex } from "../encoding";
import { leafHash, MerkleTree, type Hash } from "./merkle";

export interface ReceiptProof {
  /** The receipt's position in its batch, and the batch's size. */
  leaf_index: number;
  batch_size: number;
  batch_path: string[];
  batch_root: string;
  /** The batch's position among the period's batches, and their number. */
  batch_index: number;
  period_size: number;
  period_path: string[];
  period_root: string;
  /** The period number: the key of `rootOf(period)` on the anchor contract. */
  period: number;
}

export function periodLeaf(batchRoot: Uint8Array): Hash {
  if (batchRoot.length !== 32) throw new TypeError("a batch root is 32 bytes");
  return leafHash(batchRoot);
}

/** The period tree over batch roots (in order). `.root` is what gets anchored. */
export function periodTree(batchRoots: readonly Uint8Array[]): MerkleTree {
  return new MerkleTree(batchRoots.map(periodLeaf));
}

/** Assembles a receipt's proof from its batch tree and its period tree. */
export function receiptProof(args: { batch: MerkleTree; leafIndex: number; periodTree: MerkleTree; batchIndex: number; period: number }): ReceiptProof {
  return {
    leaf_index: args.leafIndex,
    batch_size: args.batch.size,
    batch_path: args.batch.inclusionProof(args.leafIndex).map(hex),
    batch_root: hex(args.batch.root),
    batch_index: args.batchIndex,
    period_size: args.periodTree.size,
    period_path: args.periodTree.inclusionProof(args.batchIndex).map(hex),
    period_root: hex(args.periodTree.root),
    period: args.period,
  };
}

/** A 32-byte hash from hex, with or without 0x. Throws on anything else. */
export function hashFromHex(text: string): Hash {
  const bytes = fromHex(text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text);
  if (bytes.length !== 32) throw new TypeError("a hash is 32 bytes");
  return bytes;
}
