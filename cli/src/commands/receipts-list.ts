/** `remit receipts`: receipts across every tree, newest first, filtered. */
import type { Command } from "commander";
import type { ReceiptFilter } from "@remit/sdk";
import { globals, principalFrom } from "../globals";
import { Output } from "../output";
import { parseCount, parseDuration, parseWhen, UsageError } from "../parse";

const KINDS = ["authorize", "capture", "void", "denial"];

export function registerReceiptsList(program: Command): void {
  program
    .command("receipts")
    .description("receipts across every tree, newest first")
    .option("--session <id>", "only this session's receipts")
    .option("--kind <kind>", `only this kind (${KINDS.join(", ")})`)
    .option("--denied", "only denials")
    .option("--allowed", "only what was allowed (not denials)")
    .option("--since <when>", "created after (RFC 3339, or a duration ago: 1d)")
    .option("--limit <n>", "at most this many (default 50)", "50")
    .action(async (o: { session?: string; kind?: string; denied?: boolean; allowed?: boolean; since?: string; limit: string }, cmd: Command) => {
      const g = globals(cmd);
      if (o.kind !== undefined && !KINDS.includes(o.kind)) throw new UsageError(`--kind "${o.kind}": expected one of ${KINDS.join(", ")}`);
      if (o.denied && o.allowed) throw new UsageError("--denied and --allowed exclude each other");
      const since =
        o.since === undefined ? undefined : parseDuration(o.since) !== null ? new Date(Date.now() - parseDuration(o.since)! * 1000) : parseWhen(o.since, "--since");
      const filter: ReceiptFilter = {
        ...(o.session ? { session: o.session } : {}),
        ...(o.kind ? { kind: o.kind as ReceiptFilter["kind"] } : {}),
        ...(o.denied ? { outcome: "denied" as const } : o.allowed ? { outcome: "allowed" as const } : {}),
        ...(since ? { createdAfter: since } : {}),
      };
      const limit = parseCount(o.limit, "--limit");
      const found = [];
      for await (const r of (await principalFrom(g)).governance.allReceipts(filter, { limit: Math.min(100, Math.max(1, limit)) })) {
        found.push(r);
        if (found.length >= limit) break;
      }
      const lines = found.map(({ receipt: r }) =>
        [r.at, r.id, r.kind.padEnd(9), r.session, r.scope ?? "", r.amount ? `${r.amount} ${r.asset}` : "", r.reason ? `(${r.reason})` : ""].filter(Boolean).join("  "),
      );
      new Output(!!g.json).result(lines.length ? lines.join("\n") : "no receipts match", found);
    });
}
