/** `remit sessions`: every session of every tree, newest first, filtered — what authority is standing. */
import type { Command } from "commander";
import { globals, principalFrom } from "../globals";
import { Output } from "../output";
import { parseCount } from "../parse";
import { sessionHeadline } from "../render";
import { filterOf, filterOptions, type FilterFlags } from "./filters";

export function registerSessions(program: Command): void {
  filterOptions(program.command("sessions").description("every session of every tree, newest first (filters narrow it)"))
    .option("--limit <n>", "at most this many (default 50)", "50")
    .action(async (o: FilterFlags & { limit: string }, cmd: Command) => {
      const g = globals(cmd);
      const limit = parseCount(o.limit, "--limit");
      const governance = (await principalFrom(g)).governance;
      const found = [];
      for await (const s of governance.allSessions(filterOf(o), { limit: Math.min(100, Math.max(1, limit)) })) {
        found.push(s);
        if (found.length >= limit) break;
      }
      const lines = found.map((s) => `${sessionHeadline(s)}  last used ${s.last_used_at ?? "never"}`);
      new Output(!!g.json).result(lines.length ? lines.join("\n") : "no sessions match", found);
    });
}
