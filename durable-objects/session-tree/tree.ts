/**
 * What every concept module of the tree works through, so none of them needs the
 * object class (and none imports another's state): the object's storage, signing
 * key, fixed identity, kill switch and alarm.
 */
import type { ServiceKey } from "../../src/core/auth/service-keys";

export interface Tree {
  readonly sql: SqlStorage;
  /** Signs receipts and session tokens. */
  readonly key: ServiceKey;
  /** The tree's id (fixed once the root exists). */
  readonly id: string;
  /** The principal that owns the tree (fixed once the root exists). */
  readonly principal: string;
  /** Decimals of configured assets (ASSET_DECIMALS), so refusals speak in major units. */
  readonly decimals: Readonly<Record<string, number>>;
  /** The principal's kill switch. */
  readonly frozen: boolean;
  /** Whether the object has the tree's tables (an object never written has none, and a read writes nothing). */
  readonly stored: boolean;
  /** In an object placed under a budget lease (./lease-holder.ts): the tree id of the parent's object; else null. */
  readonly leaseParent: string | null;
  /** Runs `fn` as one synchronous SQLite transaction: a decision commits whole or not at all. */
  transaction<T>(fn: () => T): T;
  /** Makes sure an alarm fires no later than `at`. */
  scheduleAlarmSoon(at: number): void;
}
