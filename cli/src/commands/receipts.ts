/** `remit receipts`: a session's receipts, oldest first, for a principal reading what was done. */
import type { Command } from "commander";
import { decimalsTable, globals, principalFrom } from "../globals";
import { Output } from "../output";
import { parseCount } from "../parse";
import { renderReceiptList } from "../render";

export function registerReceipts(program: Command): void {
  program
    .command("receipts")
    .description("a session's receipts (spends, captures, voids, denials), oldest first")
    .argument("<session>", "session id, ses_…")
    .option("--limit <n>", "at most this many (1–100, default 20)", (v: string) => parseCount(v, "--limit"))
    .option("--starting-after <receipt>", "the page after this receipt id")
    .action(async (id: string, o: { limit?: number; startingAfter?: string }, cmd: Command) => {
      const g = globals(cmd);
      const principal = await principalFrom(g);
      const page = await principal.receipts(id, { ...(o.limit !== undefined ? { limit: o.limit } : {}), ...(o.startingAfter ? { startingAfter: o.startingAfter } : {}) });
      const table = await decimalsTable(principal.baseUrl);
      new Output(!!g.json).result(renderReceiptList(page.data, table) + (page.has_more ? "\n(more: --starting-after the last id)" : ""), page);
    });
}
