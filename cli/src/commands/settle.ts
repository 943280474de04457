/**
 * `remit settle`: the operator runs the settlement now (seal, fold, anchor) instead of
 * waiting for the cron; with --until, again until that receipt is anchored.
 */
import type { Command } from "commander";
import { RemitOperator } from "@remit/sdk";
import { clientDefaults, globals, principalFrom, serviceUrl } from "../globals";
import { localStack } from "../local";
import { proc } from "../node";
import { Output } from "../output";
import { parseCount, UsageError } from "../parse";

export function registerSettle(program: Command): void {
  program
    .command("settle")
    .description("operator: run the settlement now (seal the ledger, anchor the period on chain)")
    .option("--admin-token <token>", "the operator token (default REMIT_ADMIN_TOKEN, else the local stack's .dev/stack.json)")
    .option("--until <receipt>", "settle again until this receipt is anchored (needs the principal's login)")
    .option("--timeout <seconds>", "with --until: give up after this long (default 60)", (v: string) => parseCount(v, "--timeout"))
    .action(async (o: { adminToken?: string; until?: string; timeout?: number }, cmd: Command) => {
      const g = globals(cmd);
      const out = new Output(!!g.json);
      const adminToken = o.adminToken ?? proc.env.REMIT_ADMIN_TOKEN ?? (await localStack())?.admin_token;
      if (!adminToken) throw new UsageError("no operator token: pass --admin-token, or set REMIT_ADMIN_TOKEN");
      const operator = new RemitOperator({ ...clientDefaults, baseUrl: await serviceUrl(g), adminToken });
      if (!o.until) {
        const run = await operator.settle({ seal: true });
        out.result(`settlement: ${run.action}${run.anchor ? ` (period ${run.anchor.period})` : ""}${run.detail ? ` — ${run.detail}` : ""}`, run);
        return;
      }
      const principal = await principalFrom(g);
      const deadline = Date.now() + (o.timeout ?? 60) * 1000;
      for (;;) {
        const run = await operator.settle({ seal: true });
        const proof = await principal.receiptProof(o.until);
        if (proof.status === "anchored") {
          out.result(`${o.until} is anchored in period ${proof.anchor?.period} (tx ${proof.anchor?.tx})`, { receipt: o.until, anchor: proof.anchor, run });
          return;
        }
        if (Date.now() > deadline)
          throw new UsageError(`${o.until} was not anchored within ${o.timeout ?? 60} s (stage: ${proof.stage ?? proof.status}; last run: ${run.action})`);
        await new Promise((r) => setTimeout(r, 500));
      }
    });
}
