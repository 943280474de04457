/**
 * The settlement engine's RPC surface: one object (`idFromName("settlement")`) that
 * folds the batches sealed by every ledger shard since the last anchor into one
 * period (periods.ts) and anchors the period root on chain with one transaction
 * (run.ts, settle.ts). This file only serializes runs and holds the seams tests
 * replace; each method hands over to the file of its concept.
 *
 * Periods are numbered 1, 2, 3 … (the `period` of `RemitAnchor.anchor`). A period is
 * the batches taken from each shard's cursor onwards, ordered by (shard, batch index);
 * its root is `periodTree(batch roots)`. Anchoring is the persisted state machine of
 * settle.ts: an RPC outage leaves the record as it was and the next run (alarm, cron
 * or the operator's POST /v1/admin/settle) carries on. If a period number on chain
 * already holds another root (a chain reused under a fresh service state), the same
 * batches move to the next free period number.
 *
 * It also keeps every key that ever signed a receipt (receipt-keys.ts), for the
 * receipt-keys document.
 */
import { DurableObject } from "cloudflare:workers";
import type { SettlementRpc } from "../../src/contract/rpc";
import type { Env } from "../../src/contract/env";
import type { AnchorView, BatchInPeriod, RunTrigger, SettlementRun, SettlementStatus } from "../../src/contract/settlement";
import type { MerkleTree } from "../../src/core/receipts/merkle";
import { anchorSettings as readAnchorSettings, type AnchorSettings } from "../../src/core/settlement-config";
import { createAnchorClient, type AnchorClient, type AnchorClientConfig } from "./anchor-client";
import type { ReceiptKeyInput, ReceiptKeyRecord, ReceiptKeyRegistration } from "../../src/core/auth/service-keys";
import { receiptKeys, registerReceiptKeys } from "./receipt-keys";
import { runOnce } from "./run";
import { migrate } from "./schema";
import { status } from "./status";
import { periodRow, type SettlementState } from "./store";
import { anchors, batchInPeriod, view } from "./views";
export type { RunTrigger, AnchorViewStatus, AnchorView, BatchInPeriod, RunAction, SettlementRun, SettlementStatus } from "../../src/contract/settlement";
export { STALLED_AFTER_MS } from "./errors";

export class Settlement extends DurableObject<Env> implements SettlementRpc {
  private readonly sql: SqlStorage;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly clients = new Map<string, AnchorClient>();
  private readonly trees = new Map<number, MerkleTree>();
  private readonly state: SettlementState;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.state = { sql: this.sql, storage: ctx.storage, env, trees: this.trees };
    ctx.blockConcurrencyWhile(async () => migrate(this.sql));
  }

  /**
   * One settlement run (run.ts). Runs never overlap (they queue). `seal` first asks
   * every shard to seal what waits (the operator's settle).
   */
  run(options: { trigger: RunTrigger; seal?: boolean }): Promise<SettlementRun> {
    const seams = { anchorSettings: () => this.anchorSettings(), anchorClient: (c: AnchorClientConfig) => this.anchorClient(c) };
    const next = this.queue.then(() => runOnce(this.state, seams, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  override async alarm(): Promise<void> {
    await this.run({ trigger: "alarm" });
  }

  /** Anchored periods, newest first. */
  anchors(options: { limit?: number; startingAfter?: number } = {}): { data: AnchorView[]; has_more: boolean } {
    return anchors(this.sql, options);
  }

  /** Any known period (anchored, in progress, failed or superseded). */
  anchor(period: number): AnchorView | null {
    const row = periodRow(this.sql, period);
    return row ? view(row) : null;
  }

  /** The period a sealed batch belongs to and its path there; null while no period has taken it. */
  batchInPeriod(shard: number, batch: number): BatchInPeriod | null {
    return batchInPeriod(this.state, shard, batch);
  }

  /**
   * Registers keys that sign (or signed) receipts, idempotently; returns every registered
   * key and the inputs refused (a kid that is not its key's thumbprint, another key under a
   * registered kid). A tree's outbox calls this before it ships receipts signed by a key it has not
   * registered yet in its isolate.
   */
  registerReceiptKeys(keys: ReceiptKeyInput[], now: number): ReceiptKeyRegistration {
    return registerReceiptKeys(this.sql, keys, now);
  }

  /** Every key that ever signed a receipt (as registered). */
  receiptKeys(): ReceiptKeyRecord[] {
    return receiptKeys(this.sql);
  }

  async status(): Promise<SettlementStatus> {
    return status(this.state, this.anchorSettings());
  }

  // ---------------------------------------------------------------- seams (tests replace these on the instance)

  protected anchorSettings(): AnchorSettings {
    return readAnchorSettings(this.env);
  }

  protected anchorClient(config: AnchorClientConfig): AnchorClient {
    const key = JSON.stringify(config);
    let client = this.clients.get(key);
    if (!client) {
      client = createAnchorClient(config);
      this.clients.clear();
      this.clients.set(key, client);
    }
    return client;
  }
}
