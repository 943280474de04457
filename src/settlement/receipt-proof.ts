/**
 * A receipt's way to the chain, assembled for GET /v1/receipts/{id}/proof from the
 * three places that each know one part of it:
 *
 *   tree        the signed receipt, and whether its outbox entry was shipped (and to which shard)
 *   ledger      its batch: leaf index, batch size, inclusion path, batch root
 *   settlement  the batch's period: batch index, period size, inclusion path, period root, anchor
 *
 * Once the period is anchored, `proof` is a `ReceiptProof` (src/core/receipts/period.ts)
 * plus where it is anchored — exactly what `verifyReceiptOffline` takes. Until then it
 * carries `expected_by` (src/core/settlement-config.ts `expectedBy`) and `overdue`.
 */
import type { Env } from "../contract/env";
import type { ReceiptInOutbox } from "../contract/settlement";
import { ledgerStub, settlementStub } from "../contract/stubs";
import type { ReceiptProofView } from "../contract/wire/settlement";
import { expectedBy, scheduleSettings } from "../core/settlement-config";

export async function proveReceipt(env: Env, located: ReceiptInOutbox): Promise<ReceiptProofView> {
  const view = await locateReceipt(env, located);
  return withSchedule(env, view, Date.now());
}

/** Adds `expected_by` and `overdue` to a view not yet anchored. */
function withSchedule(env: Env, located: Located, now: number): ReceiptProofView {
  const { received_at_ms: receivedAt, ...view } = located;
  if (view.status === "anchored") return { ...view, expected_by: null, overdue: false };
  const at = Date.parse(view.receipt.receipt.at);
  const due = expectedBy(scheduleSettings(env), {
    at,
    receivedAt: receivedAt ?? null,
    periodOpenedAt: view.anchor ? Date.parse(view.anchor.created_at) : null,
  });
  return { ...view, expected_by: new Date(due).toISOString(), overdue: now > due };
}

type Located = ReceiptProofView & { received_at_ms?: number };

async function locateReceipt(env: Env, located: ReceiptInOutbox): Promise<Located> {
  const { signed } = located;
  const view: Located = {
    object: "receipt_proof",
    id: signed.receipt.id,
    status: "pending",
    stage: "outbox",
    receipt: signed,
    shard: located.shard,
    received_at: null,
    batch: null,
    anchor: null,
    proof: null,
    expected_by: null,
    overdue: false,
  };
  if (!located.shipped || located.shard === null) return view;
  const shard = located.shard;
  const at = await ledgerStub(env, shard).locate(shard, signed.receipt.id);
  if (!at) return view;
  view.stage = "ledger";
  view.received_at_ms = at.received_at;
  view.received_at = new Date(at.received_at).toISOString();
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
