/**
 * The webhook tables in a principal's SQLite storage, created (and brought up to
 * date) on every start, so objects made before a column existed gain it in place.
 */
export function migrateWebhooks(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    description TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  )`);
  sql.exec(`CREATE TABLE IF NOT EXISTS webhook_deliveries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    msg_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER,
    round_start INTEGER NOT NULL DEFAULT 0,
    dead_lettered_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  )`);
  // Tables made before these columns existed.
  const columns = new Set(
    sql
      .exec<{ name: string }>("PRAGMA table_info(webhook_deliveries)")
      .toArray()
      .map((c) => c.name),
  );
  if (!columns.has("round_start")) sql.exec("ALTER TABLE webhook_deliveries ADD COLUMN round_start INTEGER NOT NULL DEFAULT 0");
  if (!columns.has("dead_lettered_at")) sql.exec("ALTER TABLE webhook_deliveries ADD COLUMN dead_lettered_at INTEGER");
  sql.exec("CREATE INDEX IF NOT EXISTS webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint, seq)");
  sql.exec("CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)");
  sql.exec(`CREATE TABLE IF NOT EXISTS webhook_attempts (
    delivery TEXT NOT NULL,
    n INTEGER NOT NULL,
    at INTEGER NOT NULL,
    status_code INTEGER,
    latency_ms INTEGER NOT NULL,
    response_excerpt TEXT NOT NULL,
    error TEXT,
    next_attempt_at INTEGER,
    PRIMARY KEY (delivery, n)
  )`);
  sql.exec("CREATE TABLE IF NOT EXISTS webhook_events_seen (key TEXT PRIMARY KEY, at INTEGER NOT NULL)");
}
