/**
 * A ledger shard's tables, created on every start: the receipts it took in (with
 * their batch and position once sealed) and the sealed batches, which never change.
 */
export function migrate(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS entries (
      n INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      tree TEXT NOT NULL,
      principal TEXT NOT NULL,
      seq INTEGER NOT NULL,
      leaf_hash TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      batch INTEGER,
      pos INTEGER
    );
    CREATE INDEX IF NOT EXISTS entries_batch ON entries(batch, pos);
    CREATE TABLE IF NOT EXISTS batches (
      idx INTEGER PRIMARY KEY,
      root TEXT NOT NULL,
      size INTEGER NOT NULL,
      log_size INTEGER NOT NULL,
      log_root TEXT NOT NULL,
      principals TEXT NOT NULL,
      sealed_at INTEGER NOT NULL
    );
  `);
}
