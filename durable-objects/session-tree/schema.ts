import { migrateTripwires } from "./tripwires";

/** Whether this object has the tree's tables (a read: an object without storage stays without). */
export function hasTreeTables(sql: SqlStorage): boolean {
  return sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length > 0;
}

/** Tables of one delegation tree. Amounts are TEXT: 38-digit integers do not fit SQLite's INTEGER. */
export function migrateTree(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY,
      parent TEXT,
      path TEXT NOT NULL,
      depth INTEGER NOT NULL,
      agent_jwk TEXT NOT NULL,
      jkt TEXT NOT NULL,
      scopes TEXT NOT NULL,
      not_before INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      limits TEXT NOT NULL,
      max_depth INTEGER NOT NULL,
      label TEXT,
      status TEXT NOT NULL DEFAULT 'active',
      revoked_at INTEGER,
      revoked_by TEXT,
      calls_used INTEGER NOT NULL DEFAULT 0,
      rate_refused INTEGER NOT NULL DEFAULT 0,
      expiry_notified INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sessions_parent ON sessions(parent);
    CREATE TABLE IF NOT EXISTS budgets (
      session_id TEXT NOT NULL,
      asset TEXT NOT NULL,
      period TEXT NOT NULL,
      limit_amount TEXT NOT NULL,
      spent TEXT NOT NULL DEFAULT '0',
      held TEXT NOT NULL DEFAULT '0',
      window_start INTEGER,
      thresholds TEXT NOT NULL DEFAULT '[]',
      PRIMARY KEY (session_id, asset, period)
    );
    CREATE TABLE IF NOT EXISTS rate (session_id TEXT PRIMARY KEY, tat REAL NOT NULL);
    CREATE TABLE IF NOT EXISTS holds (
      id TEXT PRIMARY KEY,
      session_id TEXT NOT NULL,
      scope TEXT NOT NULL,
      asset TEXT NOT NULL,
      amount TEXT NOT NULL,
      captured TEXT,
      status TEXT NOT NULL,
      windows TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      closed_at INTEGER
    );
    CREATE INDEX IF NOT EXISTS holds_open ON holds(status, expires_at);
    -- The denial receipt that stands for a dead session's refusals of one reason (./denials.ts):
    -- at most two rows per session (revoked, frozen), so never swept.
    CREATE TABLE IF NOT EXISTS denial_marks (
      session_id TEXT NOT NULL,
      reason TEXT NOT NULL,
      receipt_id TEXT NOT NULL,
      at INTEGER NOT NULL,
      PRIMARY KEY (session_id, reason)
    );
    CREATE TABLE IF NOT EXISTS jti (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS jti_expiry ON jti(expires_at);
    CREATE TABLE IF NOT EXISTS idempotency (
      caller TEXT NOT NULL,
      key TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      response TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (caller, key)
    );
    CREATE INDEX IF NOT EXISTS idempotency_age ON idempotency(created_at);
    CREATE TABLE IF NOT EXISTS receipts (
      id TEXT PRIMARY KEY,
      seq INTEGER NOT NULL UNIQUE,
      session_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      bytes TEXT NOT NULL,
      signature TEXT NOT NULL,
      leaf_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      shipped INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS receipts_outbox ON receipts(shipped, seq);
    CREATE TABLE IF NOT EXISTS events (
      id TEXT PRIMARY KEY,
      type TEXT NOT NULL,
      payload TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      sent INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS events_outbox ON events(sent, created_at);
  `);
  addColumn(sql, "holds", "request_digest", "TEXT");
  migrateTripwires(sql);
  migrateLeases(sql);
}

/**
 * Budget leases (./lease-grants.ts, ./lease-holder.ts). In the parent's object: one row per
 * child placed in its own object, and per slice (a counter of an ancestor, in one window)
 * what was granted to it and what it reported spent and gave back. In the leased object:
 * the ancestors it was leased under, as they were when it was placed (their scopes,
 * limits and lifetimes never change; a revocation or freeze of one is pushed), and a
 * counter per ancestor budget whose limit is the slice granted (`budgets.lease = 1`).
 */
function migrateLeases(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS leases (
      child TEXT PRIMARY KEY,
      object TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'open',
      placed INTEGER NOT NULL DEFAULT 0,
      valid_until INTEGER NOT NULL DEFAULT 0,
      requests INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS lease_slices (
      child TEXT NOT NULL,
      session TEXT NOT NULL,
      asset TEXT NOT NULL,
      period TEXT NOT NULL,
      window_start INTEGER,
      granted TEXT NOT NULL DEFAULT '0',
      released TEXT NOT NULL DEFAULT '0',
      spent TEXT NOT NULL DEFAULT '0',
      PRIMARY KEY (child, session, asset, period)
    );
    CREATE TABLE IF NOT EXISTS lease_chain (id TEXT PRIMARY KEY, row TEXT NOT NULL, frozen INTEGER NOT NULL DEFAULT 0);
  `);
  addColumn(sql, "budgets", "lease", "INTEGER NOT NULL DEFAULT 0");
  addColumn(sql, "budgets", "lease_released", "TEXT NOT NULL DEFAULT '0'");
}

/** Columns added after a table first shipped: trees created before keep their rows and gain the column. */
function addColumn(sql: SqlStorage, table: string, column: string, type: string): void {
  const has = sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('${table}') WHERE name = ?`, column).toArray().length > 0;
  if (!has) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}
