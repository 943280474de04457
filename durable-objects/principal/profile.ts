/**
 * The principal itself: its single row (name, maximum session lifetime, freeze flag)
 * and how it is shown. The row is created once, with the first API key, in one
 * transaction, so a principal never exists without a way in.
 */
import { ok, problem, refused, type Outcome } from "../../src/core/errors";
import type { PrincipalView } from "../../src/contract/principal";

export interface PrincipalRow {
  id: string;
  name: string;
  max_session_seconds: number;
  frozen: number;
  created_at: number;
  [key: string]: SqlStorageValue;
}

export function principalRow(sql: SqlStorage): PrincipalRow | undefined {
  return sql.exec<PrincipalRow>("SELECT * FROM principal").toArray()[0];
}

export function principalView(sql: SqlStorage): PrincipalView | null {
  const p = principalRow(sql);
  if (!p) return null;
  return {
    id: p.id,
    object: "principal",
    name: p.name,
    max_session_seconds: p.max_session_seconds,
    frozen: p.frozen === 1,
    created_at: new Date(p.created_at).toISOString(),
  };
}

/** Creates the principal and its first key; the secret is returned once and only its hash is kept. */
export function createPrincipal(
  storage: DurableObjectStorage,
  input: { id: string; name: string; maxSessionSeconds: number; secretHash: string; keyId: string; keyPrefix: string },
): Outcome<PrincipalView> {
  const sql = storage.sql;
  return storage.transactionSync(() => {
    if (principalRow(sql)) return refused<PrincipalView>(problem("validation-failed", "the principal already exists"));
    const now = Date.now();
    sql.exec("INSERT INTO principal (id, name, max_session_seconds, created_at) VALUES (?, ?, ?, ?)", input.id, input.name, input.maxSessionSeconds, now);
    sql.exec("INSERT INTO api_keys (id, hash, prefix, label, created_at) VALUES (?, ?, ?, 'first key', ?)", input.keyId, input.secretHash, input.keyPrefix, now);
    return ok(principalView(sql)!);
  });
}
