/** `remit receipt get`: a signed receipt as the service keeps it, for reading or passing on. */
import type { Command } from "commander";
import { decimalsTable, globals, principalFrom } from "../globals";
import { Output } from "../output";
import { renderReceipt } from "../render";

export function registerReceiptGet(receipt: Command): void {
  receipt
    .command("get")
    .description("a signed receipt")
    .argument("<id>", "receipt id, rcp_…")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const principal = await principalFrom(g);
      const r = await principal.receipt(id);
      new Output(!!g.json).result(renderReceipt(r, await decimalsTable(principal.baseUrl)), r);
    });
}
