/**
 * The approval queue from the command line: `remit approvals` (what waits, as a table),
 * `remit approve apr_…` and `remit deny apr_… --reason …`. The key in use needs the
 * admin or approver role.
 */
import type { Command } from "commander";
import type { Approval } from "@remit/sdk";
import { globals, principalFrom } from "../globals";
import { Output } from "../output";
import { parseCount, relative, UsageError } from "../parse";

const STATUSES = ["pending", "approved", "denied", "expired", "canceled"] as const;

export function renderApprovals(list: Approval[], now = Date.now()): string {
  if (list.length === 0) return "no approvals";
  const head = ["approval", "session", "label", "scope", "amount", "votes", "expires"];
  const rows = list.map((a) => [
    a.id,
    a.session,
    a.label ?? "",
    a.scope,
    a.amount === null ? "" : `${a.amount} ${a.asset}`,
    `${a.approved_by.length}/${a.approvers_needed}`,
    a.status === "pending" ? relative(a.expires_at, now) : a.status,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [fmt(head), ...rows.map(fmt)].join("\n");
}

function outcome(a: Approval): string {
  if (a.status === "approved") return `approved ${a.id}${a.receipt ? ` (receipt ${a.receipt.receipt.id})` : a.hold ? ` (hold ${a.hold} open)` : ""}`;
  if (a.status === "pending") return `voted on ${a.id}: ${a.approved_by.length} of ${a.approvers_needed} approvals`;
  return `${a.status} ${a.id}${a.receipt ? ` (receipt ${a.receipt.receipt.id})` : ""}`;
}

export function registerApprovals(program: Command): void {
  program
    .command("approvals")
    .description("the approval queue: pending approvals, newest first")
    .option("--status <status>", `one of ${STATUSES.join(", ")} (default pending)`, "pending")
    .option("--limit <n>", "how many (1–100)", "20")
    .action(async (o: { status: string; limit: string }, cmd: Command) => {
      const g = globals(cmd);
      if (!(STATUSES as readonly string[]).includes(o.status)) throw new UsageError(`--status must be one of ${STATUSES.join(", ")}`);
      const page = await (await principalFrom(g)).approvals.list({ status: o.status as Approval["status"], limit: parseCount(o.limit, "--limit") });
      new Output(!!g.json).result(renderApprovals(page.data), page);
    });

  program
    .command("approve")
    .description("approve with this key (one vote per key); at the quorum the spend is committed")
    .argument("<approval>", "approval id, apr_…")
    .option("--note <text>", "a note recorded in the receipt")
    .action(async (id: string, o: { note?: string }, cmd: Command) => {
      const g = globals(cmd);
      const a = await (await principalFrom(g)).approvals.approve(id, o.note === undefined ? {} : { note: o.note });
      new Output(!!g.json).result(outcome(a), a);
    });

  program
    .command("deny")
    .description("deny: the approval ends and its reservation is released")
    .argument("<approval>", "approval id, apr_…")
    .option("--reason <text>", "why, recorded in the denial receipt")
    .action(async (id: string, o: { reason?: string }, cmd: Command) => {
      const g = globals(cmd);
      const a = await (await principalFrom(g)).approvals.deny(id, o.reason === undefined ? {} : { reason: o.reason });
      new Output(!!g.json).result(outcome(a), a);
    });
}
