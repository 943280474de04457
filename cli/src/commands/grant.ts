/** `remit grant`: a principal hands an agent key its root session, the start of every tree. */
import type { Command } from "commander";
import { boundsFrom, requireScopes, withBounds, type BoundOptions } from "../bounds";
import { exportLines, globals, principalFrom, serviceUrl } from "../globals";
import { hasPrivatePart, readPublicJwk } from "../key-files";
import { Output } from "../output";
import { proc } from "../node";

export function registerGrant(program: Command): void {
  withBounds(
    program
      .command("grant")
      .description("grant a root session to an agent key; prints the session id and its token")
      .requiredOption("--agent-key <jwk>", "the agent's public JWK: a file (a private key file sends only its public part), or inline JSON")
      .option("--export", 'print `export REMIT_TOKEN=… REMIT_SESSION=…` (and REMIT_AGENT_KEY for a private key file) for eval "$(remit grant … --export)"'),
    true,
  ).action(async (o: BoundOptions & { agentKey: string; export?: boolean }, cmd: Command) => {
    const g = globals(cmd);
    const out = new Output(!!g.json);
    requireScopes(o);
    const bounds = await boundsFrom(o, () => serviceUrl(g));
    const agentJwk = await readPublicJwk(o.agentKey, "--agent-key");
    const principal = await principalFrom(g);
    const grant = await principal.grant({ agentJwk, ...bounds });
    if (o.export) {
      const key: Record<string, string> = !o.agentKey.trim().startsWith("{") && (await hasPrivatePart(o.agentKey)) ? { REMIT_AGENT_KEY: o.agentKey } : {};
      proc.stdout.write(exportLines({ REMIT_TOKEN: grant.token, REMIT_SESSION: grant.session.id, ...key }) + "\n");
      proc.stderr.write(`granted ${grant.session.id}\n`);
      return;
    }
    out.result(`session ${grant.session.id}\ntoken   ${grant.token}`, grant);
  });
}
