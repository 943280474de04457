/**
 * Typed reads and writes of the tree's rows, so no decision parses SQL rows itself; no decisions live here.
 *
 * Sessions and budget counters are also kept in memory, write-through: SQLite stays the
 * record, every write below goes to SQLite first and then to the copy, and a read is
 * answered from the copy, loading what it lacks. The copy belongs to one object's storage
 * and starts empty when the object wakes; a transaction that throws drops it
 * (`forgetRows`, called by ./tree-handle.ts), since SQLite rolled back what it held. Only
 * the writers here touch `sessions` and `budgets` (their other columns — `frozen`,
 * `last_used_at` — are not in the copy). Cached values are frozen: nobody changes a read row.
 */
import type { AgentJwk } from "../../src/core/auth/jwk";
import type { BudgetCounter } from "../../src/core/policy/budgets";
import type { Limits } from "../../src/core/policy/attenuate";
import type { Period } from "../../src/core/policy/periods";

export interface SessionRow {
  id: string;
  parent: string | null;
  path: string[];
  depth: number;
  agentJwk: AgentJwk;
  jkt: string;
  scopes: string[];
  notBefore: number;
  expiresAt: number;
  limits: Limits;
  maxDepth: number;
  label: string | null;
  status: "active" | "revoked";
  revokedAt: number | null;
  revokedBy: string | null;
  callsUsed: number;
  rateRefused: number;
  expiryNotified: number;
  createdAt: number;
}

type Raw = Record<string, SqlStorageValue>;

/**
 * A session's path, key, scopes and limits never change after it is created, yet every
 * decision reads them: parse each distinct text once. Callers treat the values as
 * read-only (they are only read, spread into new arrays, or serialized).
 */
const parsed = new Map<string, unknown>();
function parseOnce<T>(text: SqlStorageValue | undefined): T {
  const key = text as string;
  let value = parsed.get(key);
  if (value === undefined) {
    value = JSON.parse(key);
    if (parsed.size > 20_000) parsed.clear();
    parsed.set(key, value);
  }
  return value as T;
}

function toSession(r: Raw): SessionRow {
  return {
    id: r.id as string,
    parent: (r.parent as string | null) ?? null,
    path: parseOnce<string[]>(r.path),
    depth: r.depth as number,
    agentJwk: parseOnce<AgentJwk>(r.agent_jwk),
    jkt: r.jkt as string,
    scopes: parseOnce<string[]>(r.scopes),
    notBefore: r.not_before as number,
    expiresAt: r.expires_at as number,
    limits: parseOnce<Limits>(r.limits),
    maxDepth: r.max_depth as number,
    label: (r.label as string | null) ?? null,
    status: r.status as SessionRow["status"],
    revokedAt: (r.revoked_at as number | null) ?? null,
    revokedBy: (r.revoked_by as string | null) ?? null,
    callsUsed: r.calls_used as number,
    rateRefused: r.rate_refused as number,
    expiryNotified: r.expiry_notified as number,
    createdAt: r.created_at as number,
  };
}

interface Rows {
  sessions: Map<string, SessionRow>;
  /** In a leased object: the ancestors above its lease (./lease-holder.ts), never in `sessions`. */
  ancestors?: Map<string, SessionRow>;
  /** Every counter of a session (all assets), in SQLite's key order (asset, period); [] for none. */
  counters: Map<string, readonly StoredCounter[]>;
}

/** The in-memory copy of each object's rows, by its storage (one object, one `SqlStorage`). */
const copies = new WeakMap<SqlStorage, Rows>();
/** A tree holds at most REMIT_MAX_SESSIONS_PER_TREE sessions; past this many the copy starts over. */
const MAX_CACHED_SESSIONS = 50_000;

function rowsOf(sql: SqlStorage): Rows {
  let rows = copies.get(sql);
  if (!rows) {
    rows = { sessions: new Map(), counters: new Map() };
    copies.set(sql, rows);
  }
  return rows;
}

/** Drops the copy: after a rolled-back transaction it may hold writes SQLite no longer has. */
export function forgetRows(sql: SqlStorage): void {
  copies.delete(sql);
}

function keepSession(rows: Rows, row: SessionRow): SessionRow {
  if (rows.sessions.size >= MAX_CACHED_SESSIONS) {
    rows.sessions.clear();
    rows.counters.clear();
  }
  rows.sessions.set(row.id, Object.freeze(row));
  return row;
}

/** Replaces a cached session with `change` applied (nothing when it is not cached: the next read loads it). */
function updateCached(sql: SqlStorage, id: string, change: (row: SessionRow) => Partial<SessionRow>): void {
  const rows = copies.get(sql);
  const row = rows?.sessions.get(id);
  if (rows && row) rows.sessions.set(id, Object.freeze({ ...row, ...change(row) }));
}

export function readSession(sql: SqlStorage, id: string): SessionRow | null {
  const rows = rowsOf(sql);
  const known = rows.sessions.get(id);
  if (known) return known;
  const found = sql.exec("SELECT * FROM sessions WHERE id = ?", id).toArray()[0];
  return found ? keepSession(rows, toSession(found)) : null;
}

/**
 * Sessions matching a WHERE clause (with its ORDER/LIMIT), read lazily: the caller may stop
 * early (a listing that needs only its first matches), and the rest are never read.
 */
export function* sessionsWhere(sql: SqlStorage, where: string, ...bindings: SqlStorageValue[]): Generator<SessionRow> {
  for (const r of sql.exec(`SELECT * FROM sessions WHERE ${where}`, ...bindings)) yield toSession(r);
}

/** The session and its ancestors, root first. */
export function readChain(sql: SqlStorage, session: SessionRow): SessionRow[] {
  if (session.path.length === 1) return [session];
  const rows = rowsOf(sql);
  const ids = session.path.slice(0, -1);
  const missing = ids.filter((id) => !rows.sessions.has(id));
  if (missing.length > 0)
    for (const r of sql.exec(`SELECT * FROM sessions WHERE id IN (${missing.map(() => "?").join(",")})`, ...missing).toArray()) keepSession(rows, toSession(r));
  return [...ids.map((id) => rows.sessions.get(id) ?? leasedAncestor(sql, rows, id)), session];
}

/** An ancestor a leased object holds only as it was placed (./lease-holder.ts): above the session its parent leased to it. */
function leasedAncestor(sql: SqlStorage, rows: Rows, id: string): SessionRow {
  if (!rows.ancestors)
    rows.ancestors = new Map(
      sql
        .exec<{ id: string; row: string }>("SELECT id, row FROM lease_chain")
        .toArray()
        .map((r) => [r.id, Object.freeze(JSON.parse(r.row) as SessionRow)]),
    );
  const row = rows.ancestors.get(id);
  if (!row) throw new Error(`session ${id} is neither in this tree nor above its lease`);
  return row;
}

/**
 * The session and its descendants as a recursive walk in SQLite (the `parent` index):
 * `k` orders them depth-first, siblings in creation order (each level appends the row's
 * rowid, fixed-width, so the text order is the preorder). Nothing is read into JS here.
 */
const SUBTREE = `WITH RECURSIVE sub(id, k) AS (
    SELECT id, '' FROM sessions WHERE id = ?
    UNION ALL
    SELECT s.id, sub.k || printf('%010d', s.rowid) FROM sessions s JOIN sub ON s.parent = sub.id
  )`;

/**
 * One page of a session's descendants, depth-first, after `startingAfter` (a descendant's
 * id) or from the first; `null` when the cursor is not a descendant of the session.
 * Reads at most `limit + 1` rows, whatever the size of the subtree.
 */
export function readSubtreePage(sql: SqlStorage, rootId: string, page: { limit: number; startingAfter?: string }): { rows: SessionRow[]; hasMore: boolean } | null {
  let after = "";
  if (page.startingAfter !== undefined) {
    const cursor = sql.exec<{ k: string }>(`${SUBTREE} SELECT k FROM sub WHERE id = ? AND k <> ''`, rootId, page.startingAfter).toArray()[0];
    if (!cursor) return null;
    after = cursor.k;
  }
  const rows = sql
    .exec(`${SUBTREE} SELECT s.* FROM sub JOIN sessions s ON s.id = sub.id WHERE sub.k > ? ORDER BY sub.k LIMIT ?`, rootId, after, page.limit + 1)
    .toArray()
    .map(toSession);
  return { rows: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
}

/** The session and every descendant, depth-first (governance reads a whole tree: its size is capped, ./caps). */
export function readSubtree(sql: SqlStorage, rootId: string): SessionRow[] {
  return sql.exec(`${SUBTREE} SELECT s.* FROM sub JOIN sessions s ON s.id = sub.id ORDER BY sub.k`, rootId).toArray().map(toSession);
}

/** Marks the session and every active descendant revoked, in SQL; returns only the ids it revoked. */
export function revokeSubtreeRows(sql: SqlStorage, rootId: string, revokedBy: string, now: number): string[] {
  const ids = sql
    .exec<{ id: string }>(
      `UPDATE sessions SET status = 'revoked', revoked_at = ?, revoked_by = ?
       WHERE status = 'active' AND id IN (${SUBTREE} SELECT id FROM sub) RETURNING id`,
      now,
      revokedBy,
      rootId,
    )
    .toArray()
    .map((r) => r.id);
  for (const id of ids) updateCached(sql, id, () => ({ status: "revoked", revokedAt: now, revokedBy }));
  return ids;
}

/**
 * One call more on every session of the chain and, when `usedBy` is given, that session's
 * last use (`last_used_at`, ./governance.ts) — one statement for both.
 */
export function countCalls(sql: SqlStorage, chainIds: readonly string[], usedBy?: { id: string; at: number }): void {
  const marks = chainIds.map(() => "?").join(",");
  if (usedBy)
    sql.exec(
      `UPDATE sessions SET calls_used = calls_used + 1, last_used_at = CASE WHEN id = ? THEN ? ELSE last_used_at END WHERE id IN (${marks})`,
      usedBy.id,
      usedBy.at,
      ...chainIds,
    );
  else sql.exec(`UPDATE sessions SET calls_used = calls_used + 1 WHERE id IN (${marks})`, ...chainIds);
  for (const id of new Set(chainIds)) updateCached(sql, id, (r) => ({ callsUsed: r.callsUsed + 1 }));
}

/** Counts a rate-limited refusal on the session, for its view's `rate_limited`. */
export function countRateRefused(sql: SqlStorage, id: string): void {
  sql.exec("UPDATE sessions SET rate_refused = rate_refused + 1 WHERE id = ?", id);
  updateCached(sql, id, (r) => ({ rateRefused: r.rateRefused + 1 }));
}

/** Which lifetime events of the session were sent: 1 `session.expiring`, 2 `session.expired` too. */
export function setExpiryNotified(sql: SqlStorage, id: string, notified: 1 | 2): void {
  sql.exec("UPDATE sessions SET expiry_notified = ? WHERE id = ?", notified, id);
  updateCached(sql, id, () => ({ expiryNotified: notified }));
}

/** How many sessions the tree holds (revoked ones included) and how many children `parent` has. */
export function sessionCounts(sql: SqlStorage, parent: string): { sessions: number; children: number } {
  const sessions = sql.exec<{ n: number }>("SELECT count(*) AS n FROM sessions").one().n;
  const children = sql.exec<{ n: number }>("SELECT count(*) AS n FROM sessions WHERE parent = ?", parent).one().n;
  return { sessions, children };
}

export function insertSession(sql: SqlStorage, s: SessionRow): void {
  sql.exec(
    `INSERT INTO sessions (id, parent, path, depth, agent_jwk, jkt, scopes, not_before, expires_at, limits, max_depth, label, status, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)`,
    s.id,
    s.parent,
    JSON.stringify(s.path),
    s.depth,
    JSON.stringify(s.agentJwk),
    s.jkt,
    JSON.stringify(s.scopes),
    s.notBefore,
    s.expiresAt,
    JSON.stringify(s.limits),
    s.maxDepth,
    s.label,
    s.createdAt,
  );
  for (const b of s.limits.budgets ?? []) {
    sql.exec("INSERT INTO budgets (session_id, asset, period, limit_amount) VALUES (?, ?, ?, ?)", s.id, b.asset, b.period ?? "life", b.amount);
  }
  // Read back from SQLite on first use, with its defaults.
  const rows = copies.get(sql);
  rows?.sessions.delete(s.id);
  rows?.counters.delete(s.id);
}

export interface StoredCounter extends BudgetCounter {
  session: string;
  thresholds: number[];
}

function toCounter(r: Raw): StoredCounter {
  return {
    session: r.session_id as string,
    asset: r.asset as string,
    period: r.period === "life" ? null : (r.period as Period),
    limit: BigInt(r.limit_amount as string),
    spent: BigInt(r.spent as string),
    held: BigInt(r.held as string),
    windowStart: (r.window_start as number | null) ?? null,
    thresholds: JSON.parse(r.thresholds as string) as number[],
    ...(r.lease === 1 ? { lease: true, released: BigInt(r.lease_released as string) } : {}),
  };
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The counters of these sessions (of one asset, if given), in the order SQLite's primary
 * key gives them: by session id, then asset, then period.
 */
export function readCounters(sql: SqlStorage, sessionIds: string[], asset?: string): StoredCounter[] {
  const rows = rowsOf(sql);
  const ids = [...new Set(sessionIds)].sort(byText);
  const missing = ids.filter((id) => !rows.counters.has(id));
  if (missing.length > 0) {
    const loaded = new Map<string, StoredCounter[]>(missing.map((id) => [id, []]));
    for (const r of sql.exec(`SELECT * FROM budgets WHERE session_id IN (${missing.map(() => "?").join(",")}) ORDER BY session_id, asset, period`, ...missing).toArray())
      loaded.get(r.session_id as string)!.push(frozenCounter(toCounter(r)));
    for (const [id, list] of loaded) rows.counters.set(id, Object.freeze(list));
  }
  const out: StoredCounter[] = [];
  for (const id of ids) for (const c of rows.counters.get(id)!) if (asset === undefined || c.asset === asset) out.push(c);
  return out;
}

function frozenCounter(c: StoredCounter): StoredCounter {
  Object.freeze(c.thresholds);
  return Object.freeze(c);
}

/**
 * Writes several counters in one statement (a spend's whole chain): one call into SQLite
 * instead of one per ancestor, so a deep chain costs about what a shallow one does.
 */
export function writeCounters(sql: SqlStorage, list: readonly StoredCounter[]): void {
  if (list.length <= 1) {
    if (list[0]) writeCounter(sql, list[0]);
    return;
  }
  const rows = list.map((c) => ({
    id: c.session,
    a: c.asset,
    p: c.period ?? "life",
    l: c.limit.toString(),
    s: c.spent.toString(),
    h: c.held.toString(),
    w: c.windowStart,
    t: JSON.stringify(c.thresholds),
    r: (c.released ?? 0n).toString(),
  }));
  sql.exec(
    `UPDATE budgets SET limit_amount = j.value ->> 'l', spent = j.value ->> 's', held = j.value ->> 'h', window_start = j.value ->> 'w',
       thresholds = j.value ->> 't', lease_released = j.value ->> 'r'
     FROM json_each(?) AS j
     WHERE budgets.session_id = j.value ->> 'id' AND budgets.asset = j.value ->> 'a' AND budgets.period = j.value ->> 'p'`,
    JSON.stringify(rows),
  );
  for (const c of list) keepWritten(sql, c);
}

export function writeCounter(sql: SqlStorage, c: StoredCounter): void {
  // Every column a decision changes; a leased slice's limit is what the parent granted in this window (./lease-holder.ts).
  sql.exec(
    "UPDATE budgets SET limit_amount = ?, spent = ?, held = ?, window_start = ?, thresholds = ?, lease_released = ? WHERE session_id = ? AND asset = ? AND period = ?",
    c.limit.toString(),
    c.spent.toString(),
    c.held.toString(),
    c.windowStart,
    JSON.stringify(c.thresholds),
    (c.released ?? 0n).toString(),
    c.session,
    c.asset,
    c.period ?? "life",
  );
  keepWritten(sql, c);
}

/** The in-memory copy follows a counter just written (nothing when the session's counters are not cached). */
function keepWritten(sql: SqlStorage, c: StoredCounter): void {
  const rows = copies.get(sql);
  const list = rows?.counters.get(c.session);
  if (rows && list) {
    const stored = frozenCounter({ ...c, thresholds: [...c.thresholds] });
    rows.counters.set(c.session, Object.freeze(list.map((x) => (x.asset === c.asset && x.period === c.period ? stored : x))));
  }
}

export { getMeta, setMeta } from "../shared/meta";
