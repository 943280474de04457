/** Human output: sessions, trees with budget bars, receipts, anchors. Pure string building. */
import type { Anchor, BudgetCounter, DecimalsTable, Session, SessionTree, SignedReceipt } from "@remit/sdk";
import { decimalsOf, formatMoney } from "@remit/sdk";
import { relative } from "./parse";

export const BAR_WIDTH = 24;

/** `████▒▒░░░░…`: spent █, held ▒, remaining ░, in proportion to the limit. */
export function bar(b: Pick<BudgetCounter, "limit" | "spent" | "held">, width = BAR_WIDTH): string {
  const limit = BigInt(b.limit);
  if (limit <= 0n) return "░".repeat(width);
  const w = BigInt(width);
  const cells = (v: bigint) => Number((v * w + limit / 2n) / limit);
  const spent = Math.min(width, cells(BigInt(b.spent)));
  const held = Math.min(width - spent, cells(BigInt(b.spent) + BigInt(b.held)) - spent);
  return "█".repeat(spent) + "▒".repeat(Math.max(0, held)) + "░".repeat(width - spent - Math.max(0, held));
}

/** Minor units of `asset` as a person reads them (`$15.50`), with the service's asset table. */
export function money(asset: string, minor: string | bigint, table: DecimalsTable = {}): string {
  return formatMoney(asset, minor, decimalsOf(asset, table));
}

export function budgetLine(b: BudgetCounter, table: DecimalsTable = {}): string {
  const name = `${b.asset}/${b.period ?? "life"}`.padEnd(12);
  const m = (v: string) => money(b.asset, v, table);
  return `${name} ${bar(b)}  spent ${m(b.spent)} · held ${m(b.held)} · remaining ${m(b.remaining)} of ${m(b.limit)}`;
}

/** What `remit tree` prints under the tree: how to read it. */
export const TREE_LEGEND = "█ spent  ▒ held  ░ remaining · a session's figures include everything delegated beneath it";

/** The one-line summary of a session. */
export function sessionHeadline(s: Session, now = Date.now()): string {
  const parts = [s.id];
  if (s.label) parts.push(JSON.stringify(s.label));
  parts.push(s.status);
  const calls = s.counters.calls;
  if (calls) parts.push(`calls ${calls.used}/${calls.limit}`);
  const rate = s.counters.rate;
  if (rate) parts.push(`rate ${rate.requests}/${rate.per_seconds}s`);
  if (s.status === "active" || s.status === "pending" || s.status === "frozen") parts.push(`expires ${relative(s.expires_at, now)}`);
  else if (s.status === "expired") parts.push(`expired ${relative(s.expires_at, now)}`);
  return parts.join("  ");
}

/** The tree drawn with box characters: one line per session, then a bar per budget. */
export function renderTree(tree: Pick<SessionTree, "session" | "descendants">, now = Date.now(), table: DecimalsTable = {}): string {
  const all = [tree.session, ...tree.descendants];
  const children = new Map<string, Session[]>();
  for (const s of tree.descendants) {
    const list = children.get(s.parent ?? "") ?? [];
    list.push(s);
    children.set(s.parent ?? "", list);
  }
  const lines: string[] = [];
  const visit = (s: Session, lead: string, connector: string, continuation: string) => {
    lines.push(`${lead}${connector}${sessionHeadline(s, now)}`);
    const kids = children.get(s.id) ?? [];
    const under = lead + continuation + (kids.length > 0 ? "│  " : "   ");
    for (const b of s.counters.budgets) lines.push(`${under}${budgetLine(b, table)}`);
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      visit(k, lead + continuation, last ? "└─ " : "├─ ", last ? "   " : "│  ");
    });
  };
  visit(tree.session, "", "", "");
  // Sessions whose parent is not in the answer (should not happen): list them flat rather than drop them.
  const drawn = new Set<string>();
  const mark = (s: Session) => {
    drawn.add(s.id);
    for (const k of children.get(s.id) ?? []) mark(k);
  };
  mark(tree.session);
  for (const s of all) if (!drawn.has(s.id)) lines.push(`?  ${sessionHeadline(s, now)}`);
  return lines.join("\n");
}

export function renderSession(s: Session, now = Date.now(), table: DecimalsTable = {}): string {
  const lines = [
    sessionHeadline(s, now),
    `  tree        ${s.tree}`,
    `  principal   ${s.principal}`,
    `  parent      ${s.parent ?? "—"}   depth ${s.depth} of max ${s.max_depth}`,
    `  scopes      ${s.scopes.join(", ")}`,
    `  window      ${s.not_before} → ${s.expires_at}`,
    `  agent key   ${s.agent_jkt}`,
  ];
  if (s.revoked_at) lines.push(`  revoked at  ${s.revoked_at}`);
  const calls = s.counters.calls;
  if (calls) lines.push(`  calls       ${calls.used} used, ${calls.remaining} remaining of ${calls.limit}`);
  const rate = s.counters.rate;
  if (rate) lines.push(`  rate        ${rate.requests} per ${rate.per_seconds} s, ${rate.remaining} available now`);
  if (s.counters.rate_limited) lines.push(`  rate-limited ${s.counters.rate_limited} times`);
  for (const b of s.counters.budgets) lines.push(`  ${budgetLine(b, table)}`);
  return lines.join("\n");
}

export function renderReceipt(r: SignedReceipt, table: DecimalsTable = {}): string {
  const x = r.receipt;
  const lines = [
    `${x.id}  ${x.kind}${x.reason ? ` (${x.reason})` : ""}  ${x.at}`,
    `  session     ${x.session}`,
    `  path        ${x.path.join(" › ")}`,
    `  principal   ${x.principal}`,
  ];
  if (x.scope) lines.push(`  scope       ${x.scope}`);
  if (x.amount !== null) lines.push(`  amount      ${x.asset ? money(x.asset, x.amount, table) : x.amount}`);
  if (x.hold) lines.push(`  hold        ${x.hold}`);
  if (x.request_digest) lines.push(`  request     sha256 ${x.request_digest}`);
  lines.push(`  seq         ${x.seq} in tree ${x.tree}`, `  leaf hash   ${r.leaf_hash}`, `  signed by   ${x.kid}`);
  return lines.join("\n");
}

/** One line per receipt: id, kind, amount, scope, time. */
export function renderReceiptList(list: SignedReceipt[], table: DecimalsTable = {}): string {
  if (list.length === 0) return "no receipts yet";
  return list
    .map(({ receipt: x }) =>
      [
        x.id,
        `${x.kind}${x.reason ? ` (${x.reason})` : ""}`.padEnd(18),
        (x.amount !== null && x.asset ? money(x.asset, x.amount, table) : "—").padStart(12),
        x.scope ?? "",
        x.at,
      ]
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function renderAnchors(anchors: Anchor[]): string {
  if (anchors.length === 0) return "no anchored periods yet";
  const rows = anchors.map((a) => [String(a.period), a.root, String(a.count ?? ""), String(a.status ?? ""), String(a.tx ?? "")]);
  const head = ["period", "root", "receipts", "status", "transaction"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [fmt(head), ...rows.map(fmt)].join("\n");
}
