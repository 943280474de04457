/**
 * The principal's API keys: only their hashes are kept, a presented key is compared
 * in constant time, and a revoked key stays listed (with its revocation time) so the
 * principal can see what was cut off and when.
 */
import { fromHex, timingSafeEqual } from "../../src/core/encoding";
import { ok, problem, refused, type Outcome } from "../../src/core/errors";
import type { ApiKeyView, KeyProof, PrincipalView } from "../../src/contract/principal";
import { liveSignIn } from "./dashboard-sessions";
import { principalRow, principalView } from "./profile";

/** The key's secret, or a live dashboard sign-in made with the key (dashboard-sessions.ts); never a revoked key. */
export function authenticate(sql: SqlStorage, proof: KeyProof): Outcome<PrincipalView> {
  const p = principalRow(sql);
  const key = sql.exec<{ hash: string; revoked_at: number | null }>("SELECT hash, revoked_at FROM api_keys WHERE id = ?", proof.keyId).toArray()[0];
  const proven = proof.dashboard !== undefined ? liveSignIn(sql, proof, Date.now()) : !!key && timingSafeEqual(fromHex(key.hash), fromHex(proof.secretHash));
  if (!p || !key || key.revoked_at !== null || !proven)
    return refused(
      problem(
        "unauthenticated",
        proof.dashboard !== undefined ? "the dashboard sign-in has ended (signed out, expired, or its key deleted): sign in again" : "the API key is not valid",
      ),
    );
  return ok(principalView(sql)!);
}

export function createApiKey(
  sql: SqlStorage,
  input: { label: string | null; secretHash: string; keyId: string; keyPrefix: string; role?: ApiKeyView["role"] },
): Outcome<ApiKeyView> {
  const now = Date.now();
  sql.exec(
    "INSERT INTO api_keys (id, hash, prefix, label, role, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    input.keyId,
    input.secretHash,
    input.keyPrefix,
    input.label,
    input.role ?? "admin",
    now,
  );
  return ok(keyView(sql, input.keyId)!);
}

export function listApiKeys(sql: SqlStorage): Outcome<ApiKeyView[]> {
  return ok(
    sql
      .exec<{ id: string }>("SELECT id FROM api_keys ORDER BY created_at")
      .toArray()
      .map((r) => keyView(sql, r.id)!),
  );
}

export function revokeApiKey(sql: SqlStorage, keyId: string): Outcome<ApiKeyView> {
  const key = keyView(sql, keyId);
  if (!key) return refused<ApiKeyView>(problem("not-found", `no API key ${keyId}`));
  sql.exec("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?", Date.now(), keyId);
  return ok(keyView(sql, keyId)!);
}

export function keyView(sql: SqlStorage, id: string): ApiKeyView | null {
  const k = sql
    .exec<{ id: string; prefix: string; label: string | null; role: ApiKeyView["role"]; created_at: number; revoked_at: number | null }>(
      "SELECT id, prefix, label, role, created_at, revoked_at FROM api_keys WHERE id = ?",
      id,
    )
    .toArray()[0];
  if (!k) return null;
  return {
    id: k.id,
    object: "api_key",
    prefix: k.prefix,
    label: k.label,
    role: k.role,
    created_at: new Date(k.created_at).toISOString(),
    revoked_at: k.revoked_at === null ? null : new Date(k.revoked_at).toISOString(),
  };
}
