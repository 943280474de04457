/**
 * The object's per-instance state behind `Tree`: the identity and kill switch read from
 * storage once (only this object changes them), and the alarm already asked for, so a
 * decision does not set the same alarm again.
 */
import type { ServiceKey } from "../../src/core/auth/service-keys";
import { nextAlarmAt } from "./alarm";
import { frozenSessionsChanged } from "./governance";
import { forgetLeaseCopies } from "./lease-holder";
import { forgetReceiptSeq } from "./receipts";
import { forgetRows, getMeta, setMeta } from "./store";
import { forgetTripwires } from "./tripwires";
import type { Tree } from "./tree";

export class TreeHandle implements Tree {
  readonly sql: SqlStorage;
  /** Set while the object blocks concurrency at start, before any call. */
  key!: ServiceKey;
  decimals: Readonly<Record<string, number>> = {};
  /** Set by the object once its tables exist. */
  stored = false;
  private cachedTree: string | null = null;
  private cachedPrincipal: string | null = null;
  private frozenFlag: boolean | null = null;
  private cachedLeaseParent: string | null | undefined;
  private pendingAlarm: number | null = null;

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
  }

  get id(): string {
    return (this.cachedTree ??= getMeta(this.sql, "tree")!);
  }

  get principal(): string {
    return (this.cachedPrincipal ??= getMeta(this.sql, "principal")!);
  }

  get frozen(): boolean {
    return (this.frozenFlag ??= getMeta(this.sql, "frozen") === "1");
  }

  get leaseParent(): string | null {
    if (this.cachedLeaseParent === undefined) this.cachedLeaseParent = getMeta(this.sql, "lease_parent");
    return this.cachedLeaseParent;
  }

  setFrozen(frozen: boolean): void {
    setMeta(this.sql, "frozen", frozen ? "1" : "0");
    this.frozenFlag = frozen;
  }

  transaction<T>(fn: () => T): T {
    try {
      return this.storage.transactionSync(fn);
    } catch (e) {
      // SQLite rolled back: so do the in-memory copies of what it holds (they are reloaded on use).
      this.forgetCopies();
      throw e;
    }
  }

  /** Drops every in-memory copy of the tree's rows; the next read loads them from SQLite. */
  forgetCopies(): void {
    forgetRows(this.sql);
    forgetTripwires(this.sql);
    forgetReceiptSeq(this.sql);
    frozenSessionsChanged(this.sql);
    forgetLeaseCopies(this.sql);
    this.frozenFlag = null;
    this.cachedLeaseParent = undefined;
  }

  scheduleAlarmSoon(at: number): void {
    if (this.pendingAlarm !== null && this.pendingAlarm <= at) return;
    this.pendingAlarm = at;
    void this.storage.setAlarm(at);
  }

  /** Sets the alarm to the earliest moment anything becomes due (or clears it). */
  scheduleAlarm(): void {
    const at = nextAlarmAt(this.sql, Date.now());
    this.pendingAlarm = at;
    if (at === null) void this.storage.deleteAlarm();
    else void this.storage.setAlarm(at);
  }
}
