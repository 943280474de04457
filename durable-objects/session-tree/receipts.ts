/**
 * The tree's signed receipts: written in the transaction of the decision they record,
 * read back by id or by session. A receipt row is also the outbox entry the ledger
 * drain picks up (./receipt-outbox.ts).
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { newIdIn } from "../../src/core/tree-ids";
import { receiptBytes, type Receipt, type SignedReceipt } from "../../src/core/receipts/receipt";
import type { DecisionContext } from "./decision-context";
import { DRAIN_COALESCE_MS } from "./receipt-outbox";
import type { Tree } from "./tree";

export type ReceiptFields = Pick<Receipt, "kind" | "session" | "path" | "scope" | "asset" | "amount" | "request_digest" | "reason" | "hold" | "charged_to"> &
  Partial<Pick<Receipt, "approval" | "tripwire">>;

/**
 * The next `seq` of each object's receipts, kept in memory once read (only `writeReceipt`
 * inserts receipts, and none is ever deleted); a transaction that throws drops it
 * (`forgetReceiptSeq`, ./tree-handle.ts).
 */
const nextSeqs = new WeakMap<SqlStorage, number>();

export function forgetReceiptSeq(sql: SqlStorage): void {
  nextSeqs.delete(sql);
}

/**
 * Signs and stores a receipt inside the caller's transaction: the debit and its
 * receipt commit together or not at all (invariant 6). The row is also the outbox
 * entry the ledger drain picks up.
 */
export function writeReceipt(
  sql: SqlStorage,
  key: { kid: string; sign(message: Uint8Array): Uint8Array },
  tree: { id: string; principal: string },
  fields: ReceiptFields,
  now: number,
): SignedReceipt {
  // The unique index on seq answers this from its last entry; receipts are never deleted.
  const seq = nextSeqs.get(sql) ?? sql.exec<{ seq: number }>("SELECT coalesce(max(seq), 0) + 1 AS seq FROM receipts").one().seq;
  const { charged_to, approval, tripwire, ...rest } = fields;
  const receipt: Receipt = {
    v: 1,
    id: newIdIn("rcp", tree.id),
    ...rest,
    // Present only on receipts that commit an amount; never an undefined member in the signed form.
    ...(charged_to ? { charged_to } : {}),
    ...(approval ? { approval } : {}),
    ...(tripwire ? { tripwire } : {}),
    tree: tree.id,
    principal: tree.principal,
    seq,
    at: new Date(now).toISOString(),
    kid: key.kid,
  };
  const signed = signNative(receipt, key.sign);
  const { bytes } = signed;
  sql.exec(
    "INSERT INTO receipts (id, seq, session_id, kind, bytes, signature, leaf_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    receipt.id,
    seq,
    receipt.session,
    receipt.kind,
    bytes,
    signed.signature,
    signed.leaf_hash,
    now,
  );
  nextSeqs.set(sql, seq + 1);
  return signed;
}

const LEAF_PREFIX = Buffer.from([0x00]);

/**
 * `signReceiptSync` (src/core/receipts/receipt.ts) with the runtime's native encoders: the
 * same canonical bytes, Ed25519 signature over their UTF-8 and RFC 9162 leaf hash
 * SHA-256(0x00 || bytes), byte for byte, but SHA-256, hex and base64url from node:crypto
 * and Buffer instead of JavaScript (the core module stays free of them for the SDK).
 */
function signNative(receipt: Receipt, sign: (message: Uint8Array) => Uint8Array): SignedReceipt {
  const bytes = receiptBytes(receipt);
  const message = Buffer.from(bytes, "utf8");
  const signature = sign(message);
  if (signature.length !== 64) throw new Error("receipt: an Ed25519 signature is 64 bytes");
  return {
    receipt,
    bytes,
    signature: Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString("base64url"),
    leaf_hash: createHash("sha256").update(LEAF_PREFIX).update(message).digest("hex"),
  };
}

/** The receipt of an agent decision, on the deciding session; the drain is due once others could join it. */
export function receiptFor(tree: Tree, ctx: DecisionContext, fields: Omit<ReceiptFields, "session" | "path">): SignedReceipt {
  const signed = writeReceipt(tree.sql, tree.key, { id: tree.id, principal: tree.principal }, { ...fields, session: ctx.session.id, path: ctx.session.path }, ctx.now);
  tree.scheduleAlarmSoon(ctx.now + DRAIN_COALESCE_MS);
  return signed;
}

export function readReceipt(sql: SqlStorage, id: string): SignedReceipt | null {
  return readReceipts(sql, "id = ?", id)[0] ?? null;
}

/** Signed receipts matching a WHERE clause (with its ORDER/LIMIT), in one query. */
export function readReceipts(sql: SqlStorage, where: string, ...bindings: SqlStorageValue[]): SignedReceipt[] {
  return sql
    .exec<{ bytes: string; signature: string; leaf_hash: string }>(`SELECT bytes, signature, leaf_hash FROM receipts WHERE ${where}`, ...bindings)
    .toArray()
    .map((row) => ({ receipt: JSON.parse(row.bytes) as Receipt, bytes: row.bytes, signature: row.signature, leaf_hash: row.leaf_hash }));
}
