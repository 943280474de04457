/** `remit session`: one session and how much of its authority is used, for a principal watching it. */
import type { Command } from "commander";
import { decimalsTable, globals, principalFrom } from "../globals";
import { Output } from "../output";
import { renderSession } from "../render";

export function registerSession(program: Command): void {
  program
    .command("session")
    .description("a session with its live counters")
    .argument("<id>", "session id, ses_…")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const principal = await principalFrom(g);
      const s = await principal.session(id);
      new Output(!!g.json).result(renderSession(s, Date.now(), await decimalsTable(principal.baseUrl)), s);
    });
}
