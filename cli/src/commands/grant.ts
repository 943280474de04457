/** `remit grant`: a principal hands an agent key its root session, the start of every tree. */
import type { Command } from "commander";
import { boundsFrom, requireScopes, withBounds, type BoundOptions } from "../bounds";
import { globals, principalFrom } from "../globals";
import { readPublicJwk } from "../key-files";
import { Output } from "../output";

export function registerGrant(program: Command): void {
  withBounds(
    program
      .command("grant")
      .description("grant a root session to an agent key; prints the session id and its token")
      .requiredOption("--agent-key <jwk>", "the agent's public JWK: a file, or inline JSON"),
    true,
  ).action(async (o: BoundOptions & { agentKey: string }, cmd: Command) => {
    const g = globals(cmd);
    const out = new Output(!!g.json);
    requireScopes(o);
    const agentJwk = await readPublicJwk(o.agentKey, "--agent-key");
    const principal = await principalFrom(g);
    const grant = await principal.grant({ agentJwk, ...boundsFrom(o) });
    out.result(`session ${grant.session.id}\ntoken   ${grant.token}`, grant);
  });
}
