/** `remit keygen`: an agent makes its own key pair, so the private half never passes through anyone else. */
import type { Command } from "commander";
import { generateAgentKey, jwkThumbprint } from "@remit/sdk/keys";
import { exportLines, globals } from "../globals";
import { defaultKeyFile, writePrivateKey } from "../key-files";
import { Output } from "../output";
import { proc } from "../node";

export function registerKeygen(program: Command): void {
  program
    .command("keygen")
    .description("generate an agent key pair: the private JWK goes to a 0600 file (default .remit/keys/), the public JWK to stdout")
    .option("--out <file>", "where to write the private JWK (default .remit/keys/agent-<thumbprint>.jwk)")
    .option("--force", "overwrite an existing file")
    .option("--export", 'print `export REMIT_AGENT_KEY=…` for eval "$(remit keygen --export)"')
    .action(async (o: { out?: string; force?: boolean; export?: boolean }, cmd: Command) => {
      const out = new Output(!!globals(cmd).json);
      const key = generateAgentKey();
      const file = o.out ?? (await defaultKeyFile("agent", key));
      await writePrivateKey(file, key, !!o.force);
      if (o.export) {
        proc.stdout.write(exportLines({ REMIT_AGENT_KEY: file }) + "\n");
        proc.stderr.write(`private key written to ${file} (mode 0600)\n`);
        return;
      }
      out.result(JSON.stringify(key.publicJwk), { public_jwk: key.publicJwk, thumbprint: await jwkThumbprint(key.publicJwk), private_key_file: file });
      out.note(`private key written to ${file} (mode 0600); hand the public JWK above to whoever grants the session`);
    });
}
