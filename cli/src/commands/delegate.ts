/** `remit delegate`: an agent passes on a narrower part of its own authority, with its own key and token. */
import type { Command } from "commander";
import { RemitAgent } from "@remit/sdk";
import { generateAgentKey, type AgentKey } from "@remit/sdk/keys";
import { boundsFrom, requireScopes, withBounds, type BoundOptions } from "../bounds";
import { clientDefaults, globals, serviceUrl } from "../globals";
import { readPrivateKey, readPublicJwk, writePrivateKey } from "../key-files";
import { errnoCode, fs, proc } from "../node";
import { Output } from "../output";
import { UsageError } from "../parse";

export function registerDelegate(program: Command): void {
  withBounds(
    program
      .command("delegate")
      .description("as an agent, delegate a narrower child session to another key; prints the child's id and token")
      .option("--token <token>", "the delegating agent's session token (or @file; default REMIT_TOKEN)")
      .requiredOption("--key <file>", "the delegating agent's private JWK file")
      .option("--agent-key <jwk>", "the child's public JWK: a file, or inline JSON")
      .option("--out <file>", "instead: generate the child's key pair and write its private JWK here (0600)")
      .option("--force", "with --out: overwrite an existing file"),
    false,
  ).action(async (o: BoundOptions & { token?: string; key: string; agentKey?: string; out?: string; force?: boolean }, cmd: Command) => {
    const g = globals(cmd);
    const out = new Output(!!g.json);
    requireScopes(o);
    let token = o.token ?? proc.env.REMIT_TOKEN;
    if (!token) throw new UsageError("--token is required (or set REMIT_TOKEN)");
    if (token.startsWith("@")) {
      try {
        token = (await fs.readFile(token.slice(1), "utf8")).trim();
      } catch (err) {
        throw new UsageError(`--token ${token}: cannot read the file (${errnoCode(err) ?? String(err)})`);
      }
    }
    if (!!o.agentKey === !!o.out) throw new UsageError("give the child's key with --agent-key, or --out to generate one (not both)");
    const key = await readPrivateKey(o.key, "--key");
    const agent = new RemitAgent({ ...clientDefaults, baseUrl: await serviceUrl(g), token, key });
    let childKey: AgentKey | undefined;
    if (o.out) {
      childKey = generateAgentKey();
      await writePrivateKey(o.out, childKey, !!o.force);
    }
    const publicJwk = childKey ? undefined : await readPublicJwk(o.agentKey!, "--agent-key");
    const d = await agent.delegate({ ...(childKey ? { key: childKey } : { publicJwk: publicJwk! }), ...boundsFrom(o) });
    const { agent: _child, ...grant } = d;
    out.result(`session ${d.session.id}\ntoken   ${d.token}`, { ...grant, ...(o.out ? { private_key_file: o.out } : {}) });
    if (o.out) out.note(`the child's private key is in ${o.out} (mode 0600)`);
  });
}
