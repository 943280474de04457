/**
 * A receipt's way to the chain, assembled for GET /v1/receipts/{id}/proof from the
 * three places that each know one part of it:
 *
 *   tree        the signed receipt, and whether its outbox entry was shipped (and to which shard)
 *   ledger      its batch: leaf index, batch size, inclusion path, batch root
 *   settlement  the batch's period: batch index, period size, inclusion path, period root, anchor
 *
 * Once the period is anchored, `proof` is a `ReceiptProof` (src/core/receipts/period.ts)
 * plus where it is anchored — exactly what `verifyReceiptOffline` takes.
 */
import type { Env } from "../contract/env";
import type { ReceiptInOutbox } from "../contract/settlement";
import { ledgerStub, settlementStub } from "../contract/stubs";
import type { ReceiptProofView } from "../contract/wire/settlement";

export async function proveReceipt(env: Env, located: ReceiptInOutbox): Promise<ReceiptProofView> {
  const { signed } = located;
  const view: ReceiptProofView = {
    object: "receipt_proof",
    id: signed.receipt.id,
    status: "pending",
    stage: "outbox",
    receipt: signed,
    shard: located.shard,
    batch: null,
    anchor: null,
    proof: null,
  };
  if (!located.shipped || located.shard === null) return view;
  const shard = located.shard;
  const at = await ledgerStub(env, shard).locate(shard, signed.receipt.id);
  if (!at) return view;
  view.stage = "ledger";
  if (!at.batch) return view;
  const b = at.batch;
  view.stage = "sealed";
  view.batch = {
    shard,
    index: b.index,
    size: b.size,
    root: b.root,
    leaf_index: b.leaf_index,
    path: b.path,
    sealed_at: new Date(b.sealed_at).toISOString(),
  };
  const inPeriod = await settlementStub(env).batchInPeriod(shard, b.index);
  if (!inPeriod) return view;
  const anchor = inPeriod.anchor;
  view.anchor = anchor;
  view.stage = "anchoring";
  if (anchor.status !== "anchored" || anchor.tx === null || anchor.block === null || anchor.chain_id === null) return view;
  view.stage = "anchored";
  view.status = "anchored";
  view.proof = {
    leaf_index: b.leaf_index,
    batch_size: b.size,
    batch_path: b.path,
    batch_root: b.root,
    batch_index: inPeriod.batch_index,
    period_size: inPeriod.period_size,
    period_path: inPeriod.period_path,
    period_root: inPeriod.period_root,
    period: anchor.period,
    contract: anchor.contract,
    chain_id: anchor.chain_id,
    tx_hash: anchor.tx,
    block_number: anchor.block,
  };
  return view;
}
