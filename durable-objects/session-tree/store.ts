/** Typed reads and writes of the tree's rows, so no decision parses SQL rows itself; no decisions live here. */
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

export function readSession(sql: SqlStorage, id: string): SessionRow | null {
  const rows = sql.exec("SELECT * FROM sessions WHERE id = ?", id).toArray();
  return rows[0] ? toSession(rows[0]) : null;
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
  const ids = session.path.slice(0, -1);
  const rows = sql
    .exec(`SELECT * FROM sessions WHERE id IN (${ids.map(() => "?").join(",")})`, ...ids)
    .toArray()
    .map(toSession);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return [...ids.map((id) => byId.get(id)!), session];
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
  return sql
    .exec<{ id: string }>(
      `UPDATE sessions SET status = 'revoked', revoked_at = ?, revoked_by = ?
       WHERE status = 'active' AND id IN (${SUBTREE} SELECT id FROM sub) RETURNING id`,
      now,
      revokedBy,
      rootId,
    )
    .toArray()
    .map((r) => r.id);
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
  };
}

export function readCounters(sql: SqlStorage, sessionIds: string[], asset?: string): StoredCounter[] {
  const marks = sessionIds.map(() => "?").join(",");
  const rows = asset
    ? sql.exec(`SELECT * FROM budgets WHERE session_id IN (${marks}) AND asset = ?`, ...sessionIds, asset)
    : sql.exec(`SELECT * FROM budgets WHERE session_id IN (${marks})`, ...sessionIds);
  return rows.toArray().map(toCounter);
}

export function writeCounter(sql: SqlStorage, c: StoredCounter): void {
  sql.exec(
    "UPDATE budgets SET spent = ?, held = ?, window_start = ?, thresholds = ? WHERE session_id = ? AND asset = ? AND period = ?",
    c.spent.toString(),
    c.held.toString(),
    c.windowStart,
    JSON.stringify(c.thresholds),
    c.session,
    c.asset,
    c.period ?? "life",
  );
}

export { getMeta, setMeta } from "../shared/meta";
