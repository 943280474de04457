/**
 * The Settlement object's tables, created on every start so a fresh object and an
 * old one run the same code: cursors into each shard, the periods, which period
 * holds each sealed batch, the notices still to hand to principals, and every key
 * that ever signed a receipt (receipt-keys.ts).
 */
export function migrate(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS cursors (shard INTEGER PRIMARY KEY, next_batch INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS periods (
      period INTEGER PRIMARY KEY,
      root TEXT NOT NULL,
      count INTEGER NOT NULL,
      batches TEXT NOT NULL,
      principals TEXT NOT NULL,
      record TEXT NOT NULL,
      status TEXT NOT NULL,
      contract TEXT NOT NULL,
      chain_id INTEGER,
      created_at INTEGER NOT NULL,
      anchored_at INTEGER,
      error_since INTEGER,
      superseded_by INTEGER,
      gas_used TEXT
    );
    CREATE INDEX IF NOT EXISTS periods_status ON periods(status, period);
    CREATE TABLE IF NOT EXISTS batch_periods (
      shard INTEGER NOT NULL,
      batch INTEGER NOT NULL,
      period INTEGER NOT NULL,
      position INTEGER NOT NULL,
      PRIMARY KEY (shard, batch)
    );
    CREATE TABLE IF NOT EXISTS notices (
      principal TEXT NOT NULL,
      type TEXT NOT NULL,
      key TEXT NOT NULL,
      data TEXT NOT NULL,
      sent INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (principal, type, key)
    );
    CREATE INDEX IF NOT EXISTS notices_unsent ON notices(sent, created_at);
    CREATE TABLE IF NOT EXISTS receipt_keys (
      kid TEXT PRIMARY KEY,
      x TEXT NOT NULL,
      signing_from INTEGER NOT NULL,
      signing_until INTEGER
    );
  `);
}
