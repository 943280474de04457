/** `remit revoke`: a principal takes back one session and all it delegated, at once — or every session a filter names (bulk, `--dry-run` first). */
import type { Command } from "commander";
import { globals, principalFrom } from "../globals";
import { Output } from "../output";
import { UsageError } from "../parse";
import { renderExposure } from "./exposure";
import { filterOf, filterOptions, hasFilter, type FilterFlags } from "./filters";

export function registerRevoke(program: Command): void {
  filterOptions(
    program
      .command("revoke")
      .description("revoke a session and every session delegated beneath it; or, with filters instead of an id, every matching session")
      .argument("[session]", "session id, ses_…"),
  )
    .option("--dry-run", "with filters: show what would be revoked and what would remain exposed, change nothing")
    .action(async (id: string | undefined, o: FilterFlags & { dryRun?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const filter = filterOf(o);
      const out = new Output(!!g.json);
      if (id !== undefined) {
        if (hasFilter(filter) || o.dryRun) throw new UsageError("give a session id or filters (--idle-for, --label, …), not both");
        const r = await (await principalFrom(g)).revoke(id);
        out.result(`revoked ${r.revoked} session${r.revoked === 1 ? "" : "s"} (${r.session} and beneath)`, r);
        return;
      }
      if (!hasFilter(filter)) throw new UsageError("give a session id, or at least one filter (--idle-for 7d, --label, --status, …)");
      const r = await (await principalFrom(g)).governance.revokeWhere(filter, { dryRun: !!o.dryRun });
      const what = `${r.count} session${r.count === 1 ? "" : "s"}`;
      const human = r.dry_run
        ? [`would revoke ${what}:`, ...r.ids.map((s) => `  ${s}`), "", "exposure that would remain:", r.exposure ? renderExposure(r.exposure) : ""].join("\n")
        : [`revoked ${what}`, ...r.ids.map((s) => `  ${s}`)].join("\n");
      out.result(human, r);
    });
}
