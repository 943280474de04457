/**
 * `remit receipts [session]`: what was done. With a session and no filter, that session's receipts
 * oldest first (the walk-through's view); otherwise receipts across every tree, newest first, filtered.
 */
import type { Command } from "commander";
import type { ReceiptFilter } from "@remit/sdk";
import { decimalsTable, globals, principalFrom } from "../globals";
import { Output } from "../output";
import { parseCount, parseDuration, parseWhen, UsageError } from "../parse";
import { renderReceiptList } from "../render";

const KINDS = ["authorize", "capture", "void", "denial"];

interface ReceiptsOptions {
  limit?: number;
  startingAfter?: string;
  kind?: string;
  denied?: boolean;
  allowed?: boolean;
  since?: string;
  all?: boolean;
}

export function registerReceipts(program: Command): void {
  program
    .command("receipts")
    .description("receipts: a session's oldest first, or across every tree newest first with filters")
    .argument("[session]", "session id, ses_…: only this session's receipts")
    .option("--limit <n>", "at most this many (default 20 for a session, 50 across trees)", (v: string) => parseCount(v, "--limit"))
    .option("--starting-after <receipt>", "a session's page after this receipt id")
    .option("--kind <kind>", `only this kind (${KINDS.join(", ")})`)
    .option("--denied", "only denials")
    .option("--allowed", "only what was allowed (not denials)")
    .option("--since <when>", "created after (RFC 3339, or a duration ago: 1d)")
    .addHelpText("after", "\nWith filters, or without a session, the listing is newest first across every tree.")
    .action(async (session: string | undefined, o: ReceiptsOptions, cmd: Command) => {
      const g = globals(cmd);
      const principal = await principalFrom(g);
      const table = await decimalsTable(principal.baseUrl);
      const filtered = o.kind !== undefined || o.denied || o.allowed || o.since !== undefined;
      if (session && !filtered) {
        const page = await principal.receipts(session, {
          ...(o.limit !== undefined ? { limit: o.limit } : {}),
          ...(o.startingAfter ? { startingAfter: o.startingAfter } : {}),
        });
        new Output(!!g.json).result(renderReceiptList(page.data, table) + (page.has_more ? "\n(more: --starting-after the last id)" : ""), page);
        return;
      }
      if (o.startingAfter) throw new UsageError("--starting-after pages one session's receipts: give the session and no filter");
      if (o.kind !== undefined && !KINDS.includes(o.kind)) throw new UsageError(`--kind "${o.kind}": expected one of ${KINDS.join(", ")}`);
      if (o.denied && o.allowed) throw new UsageError("--denied and --allowed exclude each other");
      const ago = o.since === undefined ? null : parseDuration(o.since);
      const since = o.since === undefined ? undefined : ago !== null ? new Date(Date.now() - ago * 1000) : parseWhen(o.since, "--since");
      const filter: ReceiptFilter = {
        ...(session ? { session } : {}),
        ...(o.kind ? { kind: o.kind as ReceiptFilter["kind"] } : {}),
        ...(o.denied ? { outcome: "denied" as const } : o.allowed ? { outcome: "allowed" as const } : {}),
        ...(since ? { createdAfter: since } : {}),
      };
      const limit = o.limit ?? 50;
      const found = [];
      for await (const r of principal.governance.allReceipts(filter, { limit: Math.min(100, Math.max(1, limit)) })) {
        found.push(r);
        if (found.length >= limit) break;
      }
      new Output(!!g.json).result(found.length ? renderReceiptList(found, table) : "no receipts match", found);
    });
}
