/**
 * Whether this object has the principal's tables: a read, so an object nobody created
 * stays without storage (index.ts migrates only for `create` or an object that has them).
 */
export function hasPrincipalTables(sql: SqlStorage): boolean {
  return sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'principal'").toArray().length > 0;
}

/**
 * The Principal object's own tables (webhooks keep theirs in webhook-schema.ts),
 * created on every start of a stored principal (and by `create`), so old and new
 * objects run the same code.
 */
export function migrate(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS principal (id TEXT PRIMARY KEY, name TEXT NOT NULL, max_session_seconds INTEGER NOT NULL, frozen INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, hash TEXT NOT NULL, prefix TEXT NOT NULL, label TEXT, created_at INTEGER NOT NULL, revoked_at INTEGER);
    CREATE TABLE IF NOT EXISTS trees (id TEXT PRIMARY KEY, root TEXT, created_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, state TEXT NOT NULL, response TEXT, created_at INTEGER NOT NULL);
  `);
  // The root's expiry (no session of the tree outlives it), so a listing skips trees that cannot match;
  // null for trees indexed before it was kept: always asked.
  const trees = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('trees') WHERE name = 'expires_at'").toArray();
  if (trees.length === 0) sql.exec("ALTER TABLE trees ADD COLUMN expires_at INTEGER");
}
