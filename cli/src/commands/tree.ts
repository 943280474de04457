/** `remit tree`: the whole delegation beneath a session, so a principal sees where the budget went. */
import type { Command } from "commander";
import { globals, principalFrom } from "../globals";
import { Output } from "../output";
import { renderTree } from "../render";

export function registerTree(program: Command): void {
  program
    .command("tree")
    .description("a session and everything delegated beneath it, with budget bars (█ spent, ▒ held, ░ remaining)")
    .argument("<id>", "session id, ses_…")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      // Every page: a tree may hold thousands of sessions (the view answers 500 at a time).
      const t = await (await principalFrom(g)).wholeTree(id);
      new Output(!!g.json).result(renderTree(t), t);
    });
}
