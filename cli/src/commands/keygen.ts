/** `remit keygen`: an agent makes its own key pair, so the private half never passes through anyone else. */
import type { Command } from "commander";
import { generateAgentKey, jwkThumbprint } from "@remit/sdk/keys";
import { globals } from "../globals";
import { writePrivateKey } from "../key-files";
import { Output } from "../output";

export function registerKeygen(program: Command): void {
  program
    .command("keygen")
    .description("generate an agent key pair: the private JWK goes to a 0600 file, the public JWK to stdout")
    .option("--out <file>", "where to write the private JWK", "agent.jwk")
    .option("--force", "overwrite an existing file")
    .action(async (o: { out: string; force?: boolean }, cmd: Command) => {
      const out = new Output(!!globals(cmd).json);
      const key = generateAgentKey();
      await writePrivateKey(o.out, key, !!o.force);
      out.result(JSON.stringify(key.publicJwk), { public_jwk: key.publicJwk, thumbprint: await jwkThumbprint(key.publicJwk), private_key_file: o.out });
      out.note(`private key written to ${o.out} (mode 0600); hand the public JWK above to whoever grants the session`);
    });
}
