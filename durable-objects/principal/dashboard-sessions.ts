/**
 * The dashboard's sign-ins (src/dashboard/): a person signs in with an API key and the
 * worker keeps a cookie naming one row here. Only the SHA-256 of the cookie's secret is
 * stored. A row lives 12 hours at most, ends at sign-out, and counts only while its key is
 * not revoked: deleting the key ends every sign-in made with it, at the next request.
 * The row carries the CSRF token the dashboard's forms must echo.
 */
import { ok, problem, refused, type Outcome } from "../../src/core/errors";
import type { DashboardSessionView, KeyProof } from "../../src/contract/principal";

export function migrateDashboardSessions(sql: SqlStorage): void {
  sql.exec(
    "CREATE TABLE IF NOT EXISTS dashboard_sessions (id TEXT PRIMARY KEY, key_id TEXT NOT NULL, csrf TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)",
  );
}

/** Whether `proof.dashboard` names a live sign-in of `proof.keyId` (the key itself is checked by the caller). */
export function liveSignIn(sql: SqlStorage, proof: KeyProof, now: number): boolean {
  if (!proof.dashboard) return false;
  // The id is the SHA-256 of the cookie's secret: looking it up is the comparison (SQLite's is exact).
  const row = sql.exec<{ key_id: string; expires_at: number }>("SELECT key_id, expires_at FROM dashboard_sessions WHERE id = ?", proof.dashboard).toArray()[0];
  return !!row && row.key_id === proof.keyId && row.expires_at > now;
}

/** A new sign-in for the key that authenticated; expired rows go at the same time. */
export function openSignIn(sql: SqlStorage, keyId: string, input: { idHash: string; csrf: string; expiresAt: number }, now: number): Outcome<{ expires_at: string }> {
  sql.exec("DELETE FROM dashboard_sessions WHERE expires_at <= ?", now);
  if (!/^[0-9a-f]{64}$/.test(input.idHash)) return refused(problem("validation-failed", "the sign-in id must be a SHA-256 in hex"));
  sql.exec("INSERT INTO dashboard_sessions (id, key_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)", input.idHash, keyId, input.csrf, now, input.expiresAt);
  return ok({ expires_at: new Date(input.expiresAt).toISOString() });
}

/** The sign-in's CSRF token and expiry; only called once `liveSignIn` held. */
export function signInRow(sql: SqlStorage, idHash: string): { csrf: string; expires_at: string } {
  const row = sql.exec<{ csrf: string; expires_at: number }>("SELECT csrf, expires_at FROM dashboard_sessions WHERE id = ?", idHash).toArray()[0]!;
  return { csrf: row.csrf, expires_at: new Date(row.expires_at).toISOString() };
}

/** Sign-out: the row is gone, so the cookie names nothing any more. */
export function closeSignIn(sql: SqlStorage, idHash: string): Outcome<{ signed_out: true }> {
  sql.exec("DELETE FROM dashboard_sessions WHERE id = ?", idHash);
  return ok({ signed_out: true as const });
}

export type { DashboardSessionView };
