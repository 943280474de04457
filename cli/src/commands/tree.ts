/** `remit tree`: the whole delegation beneath a session, so a principal sees where the budget went. */
import type { Command } from "commander";
import { decimalsTable, globals, principalFrom } from "../globals";
import { Output } from "../output";
import { renderTree, TREE_LEGEND } from "../render";

export function registerTree(program: Command): void {
  program
    .command("tree")
    .description("a session and everything delegated beneath it, with budget bars (█ spent, ▒ held, ░ remaining); a session's figures include its descendants'")
    .argument("<id>", "session id, ses_…")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      // Every page: a tree may hold thousands of sessions (the view answers 500 at a time).
      const principal = await principalFrom(g);
      const t = await principal.wholeTree(id);
      const table = await decimalsTable(principal.baseUrl);
      new Output(!!g.json).result(`${renderTree(t, Date.now(), table)}\n\n${TREE_LEGEND}`, t);
    });
}
