/**
 * Every key that ever signed a receipt, kept for good (invariant 7: a receipt verifies
 * offline after any number of key rotations), apart from the JWKS, which lists only the
 * keys that may sign session tokens today (current and previous, from the environment).
 *
 * A tree's receipt outbox registers the keys of the receipts it is about to ship before
 * it ships them (durable-objects/session-tree/receipt-outbox.ts), so no receipt reaches a
 * batch, hence an anchor, with a key this table lacks. GET /.well-known/receipt-keys.json
 * registers the edge's keys too, so the document lists the current key before any receipt.
 *
 * Registration is idempotent: a known kid keeps its row (a different `x` for it, or a
 * kid that is not its key's thumbprint, is refused and reported, never stored). A key registered as current that is new closes every older open key
 * (`signing_until` = now). The windows are the service's view, not a verification rule:
 * an isolate still running on the old secret may sign a few receipts after the newer
 * key registered, and a key first seen as a previous one opens and closes at once.
 */
import type { ReceiptKeyInput, ReceiptKeyRecord, ReceiptKeyRegistration } from "../../src/core/auth/service-keys";
import { kidNamesKey } from "../../src/core/receipts/verify";

interface ReceiptKeyRow extends ReceiptKeyRecord {
  [key: string]: SqlStorageValue;
}

/** Registers `keys` (idempotent); returns every registered key, and the inputs refused. */
export function registerReceiptKeys(sql: SqlStorage, keys: ReceiptKeyInput[], now: number): ReceiptKeyRegistration {
  const refused: ReceiptKeyRegistration["refused"] = [];
  // Previous keys first: a current key registered in the same call closes them.
  for (const key of [...keys].sort((a, b) => Number(a.current) - Number(b.current))) {
    if (!kidNamesKey(key.kid, key.x)) {
      refused.push({ kid: String(key.kid), reason: "the kid is not the key's RFC 7638 thumbprint" });
      continue;
    }
    const known = sql.exec<ReceiptKeyRow>("SELECT * FROM receipt_keys WHERE kid = ?", key.kid).toArray()[0];
    if (known) {
      if (known.x !== key.x) refused.push({ kid: key.kid, reason: "the kid is registered with another public key" });
      continue;
    }
    sql.exec("INSERT INTO receipt_keys (kid, x, signing_from, signing_until) VALUES (?, ?, ?, ?)", key.kid, key.x, now, key.current ? null : now);
    if (key.current) sql.exec("UPDATE receipt_keys SET signing_until = ? WHERE signing_until IS NULL AND kid != ?", now, key.kid);
  }
  return { keys: receiptKeys(sql), refused };
}

/** Every registered key, in registration order. */
export function receiptKeys(sql: SqlStorage): ReceiptKeyRecord[] {
  return sql
    .exec<ReceiptKeyRow>("SELECT kid, x, signing_from, signing_until FROM receipt_keys ORDER BY signing_from, kid")
    .toArray()
    .map((r) => ({ kid: r.kid, x: r.x, signing_from: r.signing_from, signing_until: r.signing_until }));
}
