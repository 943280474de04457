/** The `meta (key TEXT PRIMARY KEY, value TEXT)` table every object keeps its scalars in. */
export function getMeta(sql: SqlStorage, key: string): string | null {
  return sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
}

export function setMeta(sql: SqlStorage, key: string, value: string): void {
  sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value);
}

export function deleteMeta(sql: SqlStorage, ...keys: string[]): void {
  sql.exec(`DELETE FROM meta WHERE key IN (${keys.map(() => "?").join(",")})`, ...keys);
}
