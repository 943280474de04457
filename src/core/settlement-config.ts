/**
 * Settlement settings from the worker's vars and secrets (wrangler.toml [vars],
 * `wrangler secret put`, `.dev.vars`, `wrangler dev --var`). Pure: no I/O.
 *
 *   LEDGER_SHARDS          ledger shards receipts are spread over (by tree id)      default 4
 *   LEDGER_BATCH_SIZE      a shard seals a batch when it holds this many receipts   default 256
 *   LEDGER_BATCH_SECONDS   … or when its oldest unsealed receipt is this old        default 10
 *   LEDGER_DRAIN_PAUSED    "1": trees keep receipts in their outbox (maintenance, tests)
 *   ANCHOR_RPC_URL         JSON-RPC endpoint of the anchor chain
 *   ANCHOR_CONTRACT        the RemitAnchor address
 *   ANCHOR_PRIVATE_KEY     its owner's key (secret)
 *   ANCHOR_CHAIN_ID        optional; asked of the node when absent
 *   ANCHOR_CONFIRMATIONS   blocks (including the anchoring one) before a period counts   default 1
 *   ANCHOR_REPLACE_AFTER_SECONDS  replace a transaction still pending after this long  default 180
 *   SETTLEMENT_INTERVAL_SECONDS   a scheduled run opens at most one period per interval  default 300
 *                          (wall-clock slots of this length; the cron and the local tick may fire
 *                          more often, a run opens a period only in a slot that has none yet)
 */
import type { Address, Hex } from "viem";

export interface LedgerSettings {
  shards: number;
  batchSize: number;
  batchSeconds: number;
  drainPaused: boolean;
}

export type AnchorSettings =
  | { state: "ready"; client: AnchorClientConfig; replaceAfterMs: number }
  | { state: "disabled"; reason: string }
  | { state: "misconfigured"; reason: string };

/** The settlement vars of the worker's Env (strings, as vars arrive); defaults here and in wrangler.toml. */
export interface SettlementVars {
  LEDGER_SHARDS?: string;
  LEDGER_BATCH_SIZE?: string;
  LEDGER_BATCH_SECONDS?: string;
  LEDGER_DRAIN_PAUSED?: string;
  ANCHOR_RPC_URL?: string;
  ANCHOR_CONTRACT?: string;
  ANCHOR_PRIVATE_KEY?: string;
  ANCHOR_CHAIN_ID?: string;
  ANCHOR_CONFIRMATIONS?: string;
  ANCHOR_REPLACE_AFTER_SECONDS?: string;
  SETTLEMENT_INTERVAL_SECONDS?: string;
}

export const DEFAULT_SHARDS = 4;
export const DEFAULT_BATCH_SIZE = 256;
export const DEFAULT_BATCH_SECONDS = 10;
export const MAX_SHARDS = 1024;
export const MAX_BATCH_SIZE = 65_536;

/** A positive integer var within bounds, or the default (a bad value must not stop the ledger). */
function intVar(value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    console.error(`settlement: ignoring ${JSON.stringify(value)} (want an integer in ${min}..${max}); using ${fallback}`);
    return fallback;
  }
  return n;
}

export function ledgerSettings(env: SettlementVars): LedgerSettings {
  return {
    shards: intVar(env.LEDGER_SHARDS, DEFAULT_SHARDS, 1, MAX_SHARDS),
    batchSize: intVar(env.LEDGER_BATCH_SIZE, DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE),
    batchSeconds: intVar(env.LEDGER_BATCH_SECONDS, DEFAULT_BATCH_SECONDS, 0, 24 * 3600),
    drainPaused: env.LEDGER_DRAIN_PAUSED === "1" || env.LEDGER_DRAIN_PAUSED === "true",
  };
}

export const DEFAULT_INTERVAL_SECONDS = 300;
/** Confirmations after the first: how long a block is assumed to take, for `expected_by` (Ethereum's 12 s; Base's 2 s is faster). */
export const BLOCK_ALLOWANCE_SECONDS = 12;
/** Signing, broadcasting and mining the anchoring transaction, for `expected_by`. */
export const ANCHOR_ALLOWANCE_SECONDS = 10;

export interface ScheduleSettings {
  /** SETTLEMENT_INTERVAL_SECONDS: one period (one anchor transaction) per slot of this length. */
  intervalSeconds: number;
  batchSeconds: number;
  confirmations: number;
}

export function scheduleSettings(env: SettlementVars): ScheduleSettings {
  return {
    intervalSeconds: intVar(env.SETTLEMENT_INTERVAL_SECONDS, DEFAULT_INTERVAL_SECONDS, 1, 24 * 3600),
    batchSeconds: ledgerSettings(env).batchSeconds,
    confirmations: intVar(env.ANCHOR_CONFIRMATIONS, 1, 1, 1000),
  };
}

/** The slot a time falls in: a scheduled run opens a period only in a slot later than the last period's. */
export function slotOf(at: number, intervalSeconds: number): number {
  return Math.floor(at / (intervalSeconds * 1000));
}

/** The first slot boundary strictly after `at` (ms): when the next scheduled run may open a period. */
export function nextOpening(at: number, intervalSeconds: number): number {
  return (slotOf(at, intervalSeconds) + 1) * intervalSeconds * 1000;
}

/** From a period's opening to its anchor counting: the transaction plus the blocks after the first, ms. */
export function confirmationAllowanceMs(confirmations: number): number {
  return (ANCHOR_ALLOWANCE_SECONDS + BLOCK_ALLOWANCE_SECONDS * Math.max(0, confirmations - 1)) * 1000;
}

/**
 * When a receipt should be anchored, from the schedule (ms since epoch):
 * - in a period already: the period's opening + the confirmation allowance;
 * - otherwise: the first slot boundary after it reached the ledger (a scheduled run seals what
 *   the shards hold when it opens a period), or after `at` + 1 s while it is still in its
 *   tree's outbox (the outbox coalesces drains for up to a second), + the allowance.
 */
export function expectedBy(schedule: ScheduleSettings, where: { at: number; receivedAt?: number | null; periodOpenedAt?: number | null }): number {
  const allowance = confirmationAllowanceMs(schedule.confirmations);
  if (where.periodOpenedAt != null) return where.periodOpenedAt + allowance;
  const inLedger = where.receivedAt ?? where.at + 1_000;
  return nextOpening(inLedger, schedule.intervalSeconds) + allowance;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const KEY = /^0x[0-9a-fA-F]{64}$/;

/** Whether anchoring can run, and with what. Never echoes the key. */
export function anchorSettings(env: SettlementVars): AnchorSettings {
  const rpcUrl = env.ANCHOR_RPC_URL?.trim();
  const contract = env.ANCHOR_CONTRACT?.trim();
  const key = env.ANCHOR_PRIVATE_KEY?.trim();
  if (!rpcUrl && !contract && !key) return { state: "disabled", reason: "anchoring is not configured (ANCHOR_RPC_URL, ANCHOR_CONTRACT, ANCHOR_PRIVATE_KEY)" };
  const missing = [!rpcUrl && "ANCHOR_RPC_URL", !contract && "ANCHOR_CONTRACT", !key && "ANCHOR_PRIVATE_KEY"].filter(Boolean);
  if (missing.length > 0) return { state: "misconfigured", reason: `missing ${missing.join(", ")}` };
  try {
    const u = new URL(rpcUrl!);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    return { state: "misconfigured", reason: "ANCHOR_RPC_URL must be an http(s) URL" };
  }
  if (!ADDRESS.test(contract!)) return { state: "misconfigured", reason: "ANCHOR_CONTRACT must be a 0x-prefixed 20-byte address" };
  if (!KEY.test(key!)) return { state: "misconfigured", reason: "ANCHOR_PRIVATE_KEY must be a 0x-prefixed 32-byte hex key" };
  let chainId: number | undefined;
  if (env.ANCHOR_CHAIN_ID !== undefined && env.ANCHOR_CHAIN_ID.trim() !== "") {
    chainId = Number(env.ANCHOR_CHAIN_ID);
    if (!Number.isSafeInteger(chainId) || chainId < 1) return { state: "misconfigured", reason: "ANCHOR_CHAIN_ID must be a positive integer" };
  }
  return {
    state: "ready",
    client: {
      rpcUrl: rpcUrl!,
      contract: contract!.toLowerCase() as Address,
      privateKey: key!.toLowerCase() as Hex,
      confirmations: intVar(env.ANCHOR_CONFIRMATIONS, 1, 1, 1000),
      ...(chainId !== undefined ? { chainId } : {}),
    },
    replaceAfterMs: intVar(env.ANCHOR_REPLACE_AFTER_SECONDS, 180, 1, 24 * 3600) * 1000,
  };
}

/** FNV-1a (32-bit) of a string's UTF-16 code units. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The ledger shard of a tree. A tree pins the answer on its first drain (durable-objects/session-tree/receipt-outbox.ts). */
export function shardOf(treeId: string, shards: number): number {
  if (!Number.isSafeInteger(shards) || shards < 1) throw new RangeError("shards must be a positive integer");
  return fnv1a(treeId) % shards;
}

/** The Durable Object name of a ledger shard. */
export function shardName(shard: number): string {
  return `shard-${shard}`;
}

/**
 * An error message fit to store, show an operator or send in a `settlement.failed`
 * webhook: URLs keep their scheme and host only (hosted RPC URLs carry API keys in
 * their path, query or userinfo), viem's request dumps are dropped, whitespace is
 * collapsed and the text is clipped.
 */
export function cleanError(text: string, max = 500): string {
  const kept = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^(Request body|Raw Call Arguments|Version|Docs|Contract Call|Request Arguments|Details: +$)/i.test(l))
    .join(" | ")
    .replace(/\b(https?|wss?):\/\/(?:[^@\s/"']*@)?([^\s/"'?#]+)[^\s"']*/gi, "$1://$2/…")
    .replace(/\s+/g, " ");
  return kept.length > max ? `${kept.slice(0, max - 1)}…` : kept;
}

export interface AnchorClientConfig {
  rpcUrl: string;
  /** The owner's secp256k1 key (0x…, 32 bytes). */
  privateKey: Hex;
  contract: Address;
  /** Asked of the node once when absent. */
  chainId?: number;
  /** Blocks on top of (and including) the anchoring block before a period counts as anchored. */
  confirmations: number;
  /** Per RPC request. Default 10 s. */
  timeoutMs?: number;
}
