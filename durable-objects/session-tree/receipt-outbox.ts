/**
 * The tree's receipt outbox, drained on its alarm into the tree's ledger shard.
 *
 * A receipt is written to `receipts` (shipped = 0) in the same transaction as its
 * debit (./receipts.ts). The drain sends unshipped receipts in seq order to the
 * shard's `append` (idempotent by receipt id) and only after the shard has answered
 * marks them shipped. A crash between the two sends them again and the shard skips
 * them; a failed send leaves them, and the alarm comes back with a backoff. So no
 * receipt is lost and none is counted twice (invariant 6).
 *
 * Before a batch goes, the keys that signed its receipts must be registered with the
 * Settlement object (durable-objects/settlement/receipt-keys.ts), which publishes every
 * key that ever signed a receipt: so no receipt reaches a batch, hence an anchor, whose
 * key a verifier cannot find (invariant 7, after any number of rotations). Registered
 * kids are remembered per isolate, so this costs one call per key per isolate. A
 * receipt whose key is neither this isolate's current nor previous key nor registered
 * (it waited through two rotations) stays in the outbox, retried with the backoff,
 * until the key is back as REMIT_SIGNING_KEY_PREVIOUS.
 *
 * The shard is computed once from the tree id and `LEDGER_SHARDS`, then pinned in
 * the tree's meta: changing `LEDGER_SHARDS` later moves new trees only, never a
 * receipt that may already sit in another shard.
 */
import { drainOutbox, outboxDueAt, outboxRetryAt, postponeOutbox, type Outbox } from "../shared/outbox";
import type { Env } from "../../src/contract/env";
import type { SignedReceipt } from "../../src/core/receipts/receipt";
import { ledgerSettings, shardOf } from "../../src/core/settlement-config";
import { ledgerStub, settlementStub } from "../../src/contract/stubs";
import { receiptKeyInputs, serviceKeys } from "../../src/core/auth/service-keys";
import type { LedgerEntry } from "../../src/contract/settlement";
import { getMeta, setMeta } from "./store";
import type { ReceiptInOutbox } from "../../src/contract/settlement";
export type { ReceiptInOutbox } from "../../src/contract/settlement";

/** Receipts per `append` call. */
export const RECEIPT_DRAIN_BATCH = 100;
/** Calls per alarm; the alarm comes back at once for the rest. */
export const RECEIPT_DRAIN_MAX_BATCHES = 20;
/** Backoff after a failed send: 1 s, 2 s, 4 s … at most 5 minutes. */
export const RECEIPT_RETRY_BASE_MS = 1_000;
export const RECEIPT_RETRY_MAX_MS = 5 * 60_000;
/** With LEDGER_DRAIN_PAUSED, how often the alarm looks whether the pause was lifted. */
export const PAUSED_RECHECK_MS = 5_000;

const SHARD = "ledger_shard";

interface UnshippedReceipt {
  id: string;
  seq: number;
  leaf_hash: string;
  /** The receipt's `kid` (from its bytes). */
  kid: string | null;
  [key: string]: SqlStorageValue;
}

/** Kids this isolate knows to be registered with the Settlement object. */
const registeredKids = new Set<string>();

/** Tests: forget which kids this isolate registered. */
export function forgetRegisteredReceiptKeys(): void {
  registeredKids.clear();
}

/**
 * Makes sure every kid in `kids` is registered before receipts signed with them ship:
 * registers this isolate's current and previous keys once, and refuses (throws) when a
 * kid is still unknown after that.
 */
export async function ensureReceiptKeys(env: Env, kids: Iterable<string | null>, now: number): Promise<void> {
  const wanted = [...new Set(kids)];
  if (wanted.every((kid) => kid !== null && registeredKids.has(kid))) return;
  const registration = await settlementStub(env).registerReceiptKeys(receiptKeyInputs(await serviceKeys(env)), now);
  for (const key of registration.keys) registeredKids.add(key.kid);
  const missing = wanted.filter((kid) => kid === null || !registeredKids.has(kid));
  if (missing.length > 0) {
    const refused = registration.refused.map((r) => `${r.kid}: ${r.reason}`).join("; ");
    throw new Error(
      `receipts signed by key(s) ${missing.map((k) => JSON.stringify(k)).join(", ")} that are neither REMIT_SIGNING_KEY, REMIT_SIGNING_KEY_PREVIOUS nor registered: they stay in the outbox until the key is back as REMIT_SIGNING_KEY_PREVIOUS${refused ? ` (refused: ${refused})` : ""}`,
    );
  }
}

/** The receipt outbox's bookkeeping: exponential backoff over consecutive failures. */
const RECEIPT_OUTBOX = {
  retryAtKey: "receipts_drain_retry_at",
  failuresKey: "receipts_drain_failures",
  batchSize: RECEIPT_DRAIN_BATCH,
  maxBatches: RECEIPT_DRAIN_MAX_BATCHES,
  retryDelayMs: (failures: number) => Math.min(RECEIPT_RETRY_MAX_MS, RECEIPT_RETRY_BASE_MS * 2 ** Math.min(failures - 1, 20)),
} satisfies Partial<Outbox<UnshippedReceipt>>;

export interface ReceiptDrainResult {
  shipped: number;
  failed: boolean;
  /** Nothing was tried: paused by configuration or waiting out a backoff. */
  skipped?: "paused" | "backoff";
}

export interface DrainHooks {
  /** Tests: runs after the shard took a batch and before the batch is marked shipped (a crash here is the interesting one). */
  afterAppend?: (ids: string[]) => void | Promise<void>;
}

/** The tree's ledger shard, pinned on first use. */
export function treeShard(sql: SqlStorage, env: Env): number | null {
  const pinned = getMeta(sql, SHARD);
  if (pinned !== null) return Number(pinned);
  const tree = getMeta(sql, "tree");
  if (!tree) return null;
  const shard = shardOf(tree, ledgerSettings(env).shards);
  setMeta(sql, SHARD, String(shard));
  return shard;
}

export async function drainReceipts(sql: SqlStorage, env: Env, now: number, hooks: DrainHooks = {}): Promise<ReceiptDrainResult> {
  const tree = getMeta(sql, "tree");
  const principal = getMeta(sql, "principal");
  if (!tree || !principal) return { shipped: 0, failed: false };
  if (ledgerSettings(env).drainPaused) {
    // Look again in a while (not at once: the alarm would spin).
    postponeOutbox(sql, RECEIPT_OUTBOX, now + PAUSED_RECHECK_MS);
    return { shipped: 0, failed: false, skipped: "paused" };
  }
  if (outboxRetryAt(sql, RECEIPT_OUTBOX) > now) return { shipped: 0, failed: false, skipped: "backoff" };
  const shard = treeShard(sql, env)!;
  const ledger = ledgerStub(env, shard);
  const outbox: Outbox<UnshippedReceipt> = {
    ...RECEIPT_OUTBOX,
    unsent: (limit) =>
      sql.exec<UnshippedReceipt>("SELECT id, seq, leaf_hash, json_extract(bytes, '$.kid') AS kid FROM receipts WHERE shipped = 0 ORDER BY seq LIMIT ?", limit).toArray(),
    async send(rows) {
      // The keys first: a receipt may reach a batch only once its key is published for good.
      await ensureReceiptKeys(
        env,
        rows.map((r) => r.kid),
        now,
      );
      const entries: LedgerEntry[] = rows.map((r) => ({ id: r.id, tree, principal, seq: r.seq, leaf_hash: r.leaf_hash }));
      await ledger.append(shard, entries);
      await hooks.afterAppend?.(rows.map((r) => r.id));
    },
    markSent(rows) {
      // One statement for the batch (at most RECEIPT_DRAIN_BATCH ids, as one JSON parameter).
      sql.exec("UPDATE receipts SET shipped = 1 WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(rows.map((r) => r.id)));
    },
    onFailure(e, failures, delay) {
      console.error(`receipts: ledger shard ${shard} did not take the outbox (attempt ${failures}); retrying in ${delay} ms`, e);
    },
  };
  const drained = await drainOutbox(sql, outbox, now);
  return { shipped: drained.sent, failed: drained.failed };
}

/** When the outbox next needs the alarm: now if receipts wait, later during a backoff, null when empty. */
export function receiptsDueAt(sql: SqlStorage, now: number): number | null {
  const oldest = sql.exec<{ t: number | null }>("SELECT min(created_at) AS t FROM receipts WHERE shipped = 0").one().t;
  // Receipts wait up to DRAIN_COALESCE_MS so one ledger call carries many: the outbox is
  // durable, and batches seal every LEDGER_BATCH_SECONDS anyway, so nothing waits longer.
  return outboxDueAt(sql, RECEIPT_OUTBOX, now, oldest === null ? null : oldest + DRAIN_COALESCE_MS);
}

/** How long a fresh receipt may wait in the outbox for others to join it on the way to the ledger. */
export const DRAIN_COALESCE_MS = 1000;

/** A receipt and whether the drain has shipped it yet, and to which shard. */
export function outboxState(sql: SqlStorage, signed: SignedReceipt): ReceiptInOutbox {
  const row = sql.exec<{ shipped: number }>("SELECT shipped FROM receipts WHERE id = ?", signed.receipt.id).toArray()[0];
  const pinned = getMeta(sql, SHARD);
  return { signed, shipped: row?.shipped === 1, shard: pinned === null ? null : Number(pinned) };
}
