/**
 * Which shard this object is. The first call names it and it keeps that number for
 * ever, so a caller that routed to the wrong object fails loudly instead of mixing
 * two shards' receipts into one log.
 */
import { getMeta, setMeta } from "../shared/meta";

export function claim(sql: SqlStorage, shard: number): void {
  if (!Number.isSafeInteger(shard) || shard < 0) throw new RangeError("ledger: shard must be a non-negative integer");
  const held = getMeta(sql, "shard");
  if (held === null) setMeta(sql, "shard", String(shard));
  else if (Number(held) !== shard) throw new Error(`ledger: this object is shard ${held}, not ${shard}`);
}
