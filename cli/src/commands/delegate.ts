/** `remit delegate`: an agent passes on a narrower part of its own authority, with its own key and token. */
import type { Command } from "commander";
import { generateAgentKey, type AgentKey } from "@remit/sdk/keys";
import { boundsFrom, requireScopes, withBounds, type BoundOptions } from "../bounds";
import { agentFrom, exportLines, globals, serviceUrl } from "../globals";
import { defaultKeyFile, readPublicJwk, writePrivateKey } from "../key-files";
import { errnoCode, fs, proc } from "../node";
import { Output } from "../output";
import { UsageError } from "../parse";

export function registerDelegate(program: Command): void {
  withBounds(
    program
      .command("delegate")
      .description("as an agent, delegate a narrower child session to another key; prints the child's id and token")
      .option("--token <token>", "the delegating agent's session token (or @file; default REMIT_TOKEN)")
      .option("--key <file>", "the delegating agent's private JWK file (default REMIT_AGENT_KEY)")
      .option("--agent-key <jwk>", "the child's public JWK: a file, or inline JSON")
      .option("--out <file>", "or (the default): generate the child's key pair and write its private JWK here, 0600 (default .remit/keys/child-<thumbprint>.jwk)")
      .option("--force", "with --out: overwrite an existing file")
      .option("--own-object", "place the child and its subtree in a Durable Object of their own, under a budget lease (a hot subtree)")
      .option("--export", 'print the child\'s `export REMIT_TOKEN=… REMIT_SESSION=… REMIT_AGENT_KEY=…` for eval "$(remit delegate … --export)"'),
    false,
  ).action(
    async (o: BoundOptions & { token?: string; key?: string; agentKey?: string; out?: string; force?: boolean; export?: boolean; ownObject?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const out = new Output(!!g.json);
      requireScopes(o);
      if (o.agentKey && o.out) throw new UsageError("give the child's key with --agent-key, or --out to generate one (not both)");
      if (o.agentKey && o.export) throw new UsageError("--export needs the child's private key: use --out (or neither) instead of --agent-key");
      const { agent } = await agentFrom(g, o);
      const bounds = { ...(await boundsFrom(o, () => serviceUrl(g))), ...(o.ownObject ? { placement: "own_object" as const } : {}) };
      const childKey: AgentKey | undefined = o.agentKey ? undefined : generateAgentKey();
      const file = childKey ? (o.out ?? (await defaultKeyFile("child", childKey))) : undefined;
      if (file && !o.force) {
        // Refuse before asking the service: an existing file is never overwritten without --force.
        const exists = await fs.stat(file).then(
          () => true,
          (err: unknown) => errnoCode(err) !== "ENOENT",
        );
        if (exists) throw new UsageError(`${file} exists; pass --force to overwrite it`);
      }
      const d = childKey
        ? await agent.delegate({ key: childKey, ...bounds })
        : await agent.delegate({ agentJwk: await readPublicJwk(o.agentKey!, "--agent-key"), ...bounds });
      // Only once the service said yes: a refused delegation leaves no key file behind.
      if (childKey && file) await writePrivateKey(file, childKey, !!o.force);
      const { agent: _child, ...grant } = d;
      if (o.export) {
        proc.stdout.write(exportLines({ REMIT_TOKEN: d.token, REMIT_SESSION: d.session.id, REMIT_AGENT_KEY: file! }) + "\n");
        proc.stderr.write(`delegated ${d.session.id}; its private key is in ${file} (mode 0600)\n`);
        return;
      }
      out.result(`session ${d.session.id}\ntoken   ${d.token}`, { ...grant, ...(file ? { private_key_file: file } : {}) });
      if (file) out.note(`the child's private key is in ${file} (mode 0600)`);
    },
  );
}
