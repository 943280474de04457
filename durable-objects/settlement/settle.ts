/**
 * Anchoring one period as a resumable state machine (invariant 6).
 *
 * The caller — a Durable Object or the cron — owns an `AnchorRecord` (plain JSON)
 * and calls `settleStep` (or `settle`, which loops) until it is done, persisting
 * the returned record after *every* step. Each step reads the contract first:
 *
 * - the period holds our root  → find the transaction, count confirmations, done
 *   at N; never send again;
 * - the period holds another root → `conflict` (terminal, for an operator);
 * - otherwise, by status: `new` → sign (nonce, gas, fees fixed; hash known before
 *   anything is sent) → `signed` → broadcast the same bytes → `sent` → wait while
 *   pending; if dropped, sign the same nonce again with bumped fees; if the nonce
 *   went to something else or the transaction reverted, sign with a fresh nonce.
 *
 * A crash between any two steps is harmless: a `signed` record re-broadcasts the
 * same raw transaction, and the write-once contract refuses a second root for a
 * period in any case. An RPC failure returns the record unchanged and
 * `retryable: true`.
 */
import type { Hex } from "viem";
import { hex } from "../../src/core/encoding";
import { AnchorRevertError, BroadcastRefusedError, bumpFees, type AnchorClient, type Fees, type TxStatus } from "./anchor-client";
import type { AnchoredRoot } from "../../src/core/receipts/anchor-read";

export type AnchorStatus = "new" | "signed" | "sent" | "mined" | "anchored" | "conflict" | "failed";

export interface AnchorRecord {
  period: number;
  /** 0x-prefixed lowercase hex, 32 bytes. */
  root: Hex;
  /** Receipts covered by the root. */
  count: number;
  status: AnchorStatus;
  /** The latest transaction signed for this record, its nonce and its raw bytes. */
  hash?: Hex;
  nonce?: number;
  raw?: Hex;
  /** Its gas limit and fees, decimal wei. */
  gas?: string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
  /** Every transaction signed for this record, oldest first. */
  hashes?: Hex[];
  attempts?: number;
  /** Chain head when the first transaction was signed: where to look for the `Anchored` event. */
  sinceBlock?: string;
  /** When the latest transaction was broadcast (ms since epoch). */
  sentAt?: number;
  /** The transaction that anchored the root, its block and its confirmations when last seen. */
  tx?: Hex;
  block?: string;
  confirmations?: number;
  /** Status conflict: the root the contract holds for this period. */
  conflictRoot?: Hex;
  /** The last problem met, for operators. */
  error?: string;
}

export interface SettleOptions {
  /** Replace a transaction still pending after this long (same nonce, bumped fees). Default 180 s. */
  replaceAfterMs?: number;
  /** Default 25 (nodes require ≥ 10). */
  feeBumpPercent?: number;
  /** Never offer more than this max fee per gas (wei). */
  maxFeePerGas?: bigint;
  /** Suggested wait before the next step when there is nothing to do now. Default 2 s. */
  pollMs?: number;
  now?: () => number;
}

export type StepAction = "signed" | "sent" | "waiting" | "confirming" | "anchored" | "conflict" | "failed" | "error";

export interface StepResult {
  record: AnchorRecord;
  action: StepAction;
  /** anchored, conflict or failed: nothing more will happen. */
  done: boolean;
  /** action "error": nothing changed; try again later with the same record. */
  retryable: boolean;
  /** A hint: when the next step is worth taking. */
  waitMs: number;
  detail?: string;
}

/** What the chain says, gathered by `observe` before any decision. */
export interface Observation {
  now: number;
  onChain: AnchoredRoot | null;
  /** When the contract holds our root: the transaction that put it there. */
  landed: { hash: Hex; block: bigint; confirmations: number } | null;
  /** When the root is not there and a transaction was sent: its status. */
  tx: TxStatus | null;
  /** When that transaction is dropped: the account's nonces. */
  nonces: { latest: number; pending: number } | null;
}

export type Decision =
  | { kind: "anchored" | "confirming"; hash: Hex; block: bigint; confirmations: number }
  | { kind: "conflict"; root: Hex }
  /** replace: same nonce, bumped fees; otherwise a fresh nonce and today's fees. */
  | { kind: "sign"; replace: boolean }
  | { kind: "broadcast" }
  | { kind: "wait"; why: string };

const TERMINAL: readonly AnchorStatus[] = ["anchored", "conflict", "failed"];

export function newAnchorRecord(period: number, root: Hex | Uint8Array, count: number): AnchorRecord {
  if (!Number.isSafeInteger(period) || period < 0) throw new RangeError("period must be a non-negative integer");
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError("count must be a non-negative integer");
  const r = (typeof root === "string" ? root : `0x${hex(root)}`).toLowerCase();
  if (!/^0x[0-9a-f]{64}$/.test(r) || /^0x0{64}$/.test(r)) throw new TypeError("root must be 32 non-zero bytes");
  return { period, root: r as Hex, count, status: "new" };
}

/** Pure: the next move for `record` given what the chain says. */
export function decide(record: AnchorRecord, obs: Observation, opts: { confirmations: number; replaceAfterMs: number }): Decision {
  if (obs.onChain) {
    if (obs.onChain.root.toLowerCase() !== record.root.toLowerCase()) return { kind: "conflict", root: obs.onChain.root };
    if (!obs.landed) return { kind: "wait", why: "root on chain, its transaction not visible yet" };
    const kind = obs.landed.confirmations >= opts.confirmations ? "anchored" : "confirming";
    return { kind, ...obs.landed };
  }
  if (record.status === "new" || !record.hash) return { kind: "sign", replace: false };
  if (record.status === "signed") return { kind: "broadcast" };
  const tx = obs.tx;
  if (!tx) return { kind: "wait", why: "transaction status unknown" };
  switch (tx.state) {
    case "pending":
      return obs.now - (record.sentAt ?? obs.now) >= opts.replaceAfterMs ? { kind: "sign", replace: true } : { kind: "wait", why: "transaction pending" };
    case "mined":
      return { kind: "wait", why: "transaction mined, root not visible yet" };
    case "reverted":
      return { kind: "sign", replace: false };
    case "dropped":
      // Its nonce mined with something else: start over with a fresh one.
      if (obs.nonces && record.nonce !== undefined && obs.nonces.latest > record.nonce) return { kind: "sign", replace: false };
      return { kind: "sign", replace: true };
  }
}

/** The reads `decide` needs for this record, and no more. */
export async function observe(client: AnchorClient, record: AnchorRecord, now: number): Promise<Observation> {
  const obs: Observation = { now, onChain: await client.readRoot(record.period), landed: null, tx: null, nonces: null };
  if (obs.onChain) {
    if (obs.onChain.root.toLowerCase() === record.root.toLowerCase()) obs.landed = await findLanded(client, record);
    return obs;
  }
  if (record.hash && (record.status === "sent" || record.status === "mined")) {
    obs.tx = await client.checkTransaction(record.hash);
    if (obs.tx.state === "dropped") obs.nonces = await client.nonces();
  }
  return obs;
}

async function findLanded(client: AnchorClient, record: AnchorRecord): Promise<Observation["landed"]> {
  const candidates = [...new Set([record.tx, ...(record.hashes ?? []).slice().reverse(), record.hash])].filter((h): h is Hex => h !== undefined);
  for (const hash of candidates) {
    const status = await client.checkTransaction(hash);
    if (status.state === "mined") return { hash, block: status.block, confirmations: status.confirmations };
  }
  // Anchored by a transaction this record does not know (e.g. sent before a lost write): ask the event log.
  const found = await client.findAnchorTx(record.period, BigInt(record.sinceBlock ?? "0"));
  if (!found) return null;
  const head = await client.blockNumber();
  return { ...found, confirmations: head >= found.block ? Number(head - found.block) + 1 : 0 };
}

/** One step: observe, decide, act. Never throws for chain or network trouble. */
export async function settleStep(client: AnchorClient, record: AnchorRecord, options: SettleOptions = {}): Promise<StepResult> {
  const pollMs = options.pollMs ?? 2_000;
  if (TERMINAL.includes(record.status)) return result(record, record.status as StepAction, 0);
  const now = (options.now ?? Date.now)();
  try {
    const obs = await observe(client, record, now);
    const decision = decide(record, obs, {
      confirmations: client.confirmations,
      replaceAfterMs: options.replaceAfterMs ?? 180_000,
    });
    return await act(client, record, decision, now, options, pollMs);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof AnchorRevertError && err.errorName !== "AlreadyAnchored") {
      // NotOwner, ZeroRoot: configuration, not weather. Retrying cannot help.
      return result({ ...record, status: "failed", error: message }, "failed", 0, message);
    }
    return { record: { ...record, error: message }, action: "error", done: false, retryable: true, waitMs: Math.max(pollMs, 5_000), detail: message };
  }
}

async function act(client: AnchorClient, record: AnchorRecord, d: Decision, now: number, options: SettleOptions, pollMs: number): Promise<StepResult> {
  switch (d.kind) {
    case "anchored":
    case "confirming": {
      const next: AnchorRecord = {
        ...record,
        status: d.kind === "anchored" ? "anchored" : "mined",
        tx: d.hash,
        block: d.block.toString(),
        confirmations: d.confirmations,
      };
      delete next.error;
      return result(next, d.kind, d.kind === "anchored" ? 0 : pollMs);
    }
    case "conflict":
      return result({ ...record, status: "conflict", conflictRoot: d.root }, "conflict", 0, `period ${record.period} holds ${d.root}`);
    case "wait":
      return result(record, "waiting", pollMs, d.why);
    case "broadcast":
      return broadcast(client, record, now, pollMs);
    case "sign":
      return sign(client, record, d.replace, options, pollMs);
  }
}

async function sign(client: AnchorClient, record: AnchorRecord, replace: boolean, options: SettleOptions, pollMs: number): Promise<StepResult> {
  const sinceBlock = record.sinceBlock ?? (await client.blockNumber()).toString();
  const suggested = await client.suggestFees();
  const old = feesOf(record);
  let fees = replace && old ? bumpFees(old, suggested, options.feeBumpPercent ?? 25) : suggested;
  const cap = options.maxFeePerGas;
  if (cap !== undefined && fees.maxFeePerGas > cap) {
    if (replace && old && old.maxFeePerGas >= cap) return result(record, "waiting", pollMs, "fee cap reached; waiting for the pending transaction");
    fees = { maxFeePerGas: cap, maxPriorityFeePerGas: fees.maxPriorityFeePerGas > cap ? cap : fees.maxPriorityFeePerGas };
  }
  const tx = await client.prepare(record.period, record.root, record.count, {
    fees,
    ...(replace && record.nonce !== undefined ? { nonce: record.nonce } : {}),
    ...(replace && record.gas !== undefined ? { gas: BigInt(record.gas) } : {}),
  });
  const next: AnchorRecord = {
    ...record,
    status: "signed",
    hash: tx.hash,
    nonce: tx.nonce,
    raw: tx.raw,
    gas: tx.gas.toString(),
    maxFeePerGas: tx.maxFeePerGas.toString(),
    maxPriorityFeePerGas: tx.maxPriorityFeePerGas.toString(),
    hashes: [...(record.hashes ?? []), tx.hash],
    attempts: (record.attempts ?? 0) + 1,
    sinceBlock,
  };
  delete next.sentAt;
  delete next.error;
  return result(next, "signed", 0, replace ? `replacement for nonce ${tx.nonce}` : `nonce ${tx.nonce}`);
}

async function broadcast(client: AnchorClient, record: AnchorRecord, now: number, pollMs: number): Promise<StepResult> {
  if (!record.raw) return result({ ...record, status: "new" }, "waiting", 0, "no signed transaction kept; signing again");
  try {
    await client.broadcast(record.raw);
  } catch (err) {
    if (!(err instanceof BroadcastRefusedError) || err.reason === "insufficient-funds") throw err;
    if (err.reason === "nonce-too-low") {
      // The nonce is taken. The next step reads the contract before signing anew.
      return result({ ...record, status: "new", error: err.message }, "waiting", 0, err.message);
    }
    // Underpriced: treat as sent; the next step finds it dropped and replaces it with higher fees.
    return result({ ...record, status: "sent", sentAt: now, error: err.message }, "waiting", pollMs, err.message);
  }
  const next: AnchorRecord = { ...record, status: "sent", sentAt: now };
  delete next.error;
  return result(next, "sent", 0);
}

function feesOf(record: AnchorRecord): Fees | null {
  if (record.maxFeePerGas === undefined || record.maxPriorityFeePerGas === undefined) return null;
  return { maxFeePerGas: BigInt(record.maxFeePerGas), maxPriorityFeePerGas: BigInt(record.maxPriorityFeePerGas) };
}

function result(record: AnchorRecord, action: StepAction, waitMs: number, detail?: string): StepResult {
  const done = TERMINAL.includes(record.status);
  return { record, action, done, retryable: false, waitMs, ...(detail === undefined ? {} : { detail }) };
}

/**
 * Steps until there is nothing to do right now (waiting, confirming, an error or
 * done), calling `persist` with each new record before the next step.
 */
export async function settle(
  client: AnchorClient,
  record: AnchorRecord,
  options: SettleOptions & {
    persist: (record: AnchorRecord) => Promise<void> | void;
    maxSteps?: number;
    /** Told of every step and how long it took (for the settlement log). */
    onStep?: (step: StepResult, durationMs: number) => void;
  },
): Promise<StepResult> {
  let current = record;
  let last: StepResult | null = null;
  for (let i = 0; i < (options.maxSteps ?? 8); i++) {
    const started = Date.now();
    last = await settleStep(client, current, options);
    options.onStep?.(last, Date.now() - started);
    if (last.record !== current) await options.persist(last.record);
    current = last.record;
    const progressing = last.action === "signed" || last.action === "sent" || (last.action === "waiting" && last.waitMs === 0);
    if (!progressing) break;
  }
  return last ?? (await settleStep(client, current, options));
}
