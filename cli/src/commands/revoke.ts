/** `remit revoke`: a principal takes back one session and all it delegated, at once. */
import type { Command } from "commander";
import { globals, principalFrom } from "../globals";
import { Output } from "../output";

export function registerRevoke(program: Command): void {
  program
    .command("revoke")
    .description("revoke a session and every session delegated beneath it")
    .argument("<session>", "session id, ses_…")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const r = await (await principalFrom(g)).revoke(id);
      new Output(!!g.json).result(`revoked ${r.revoked} session${r.revoked === 1 ? "" : "s"} (${r.session} and beneath)`, r);
    });
}
