/** `remit freeze` and `remit unfreeze`: the principal's kill switch and its release, one pair. */
import type { Command } from "commander";
import { globals, principalFrom } from "../globals";
import { Output } from "../output";

export function registerFreeze(program: Command): void {
  for (const frozen of [true, false]) {
    program
      .command(frozen ? "freeze" : "unfreeze")
      .description(frozen ? "kill switch: stop every session of the principal at once" : "lift the freeze")
      .action(async (_o: unknown, cmd: Command) => {
        const g = globals(cmd);
        const principal = await principalFrom(g);
        const r = frozen ? await principal.freeze() : await principal.unfreeze();
        new Output(!!g.json).result(`${r.id} is ${r.frozen ? "frozen" : "no longer frozen"} (${r.trees} tree${r.trees === 1 ? "" : "s"} reached)`, r);
      });
  }
}
