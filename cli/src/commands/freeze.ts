/**
 * `remit freeze [session]` and `remit unfreeze [session]`: the principal's kill switch and its
 * release, or with a session id that session's own switch (it and everything beneath it).
 */
import type { Command } from "commander";
import { globals, principalFrom } from "../globals";
import { Output } from "../output";

export function registerFreeze(program: Command): void {
  for (const frozen of [true, false]) {
    program
      .command(frozen ? "freeze" : "unfreeze")
      .description(
        frozen
          ? "kill switch: stop every session of the principal at once; with a session id, that session and everything beneath it"
          : "lift the freeze (the principal's, or with a session id that session's own switch and any trip-wire freeze on it)",
      )
      .argument("[session]", "session id, ses_…: only this session's own switch")
      .action(async (session: string | undefined, _o: unknown, cmd: Command) => {
        const g = globals(cmd);
        const principal = await principalFrom(g);
        const out = new Output(!!g.json);
        if (session) {
          const s = frozen ? await principal.governance.freezeSession(session) : await principal.governance.unfreezeSession(session);
          const by = s.frozen_by?.length ? ` (held by: ${s.frozen_by.join(", ")})` : "";
          out.result(`${s.id} is ${s.status}${by}`, s);
          return;
        }
        const r = frozen ? await principal.freeze() : await principal.unfreeze();
        out.result(`${r.id} is ${r.frozen ? "frozen" : "no longer frozen"} (${r.trees} tree${r.trees === 1 ? "" : "s"} reached)`, r);
      });
  }
}
