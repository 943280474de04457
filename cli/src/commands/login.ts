/** `remit login`: checks an API key once and keeps it, so later commands need no flags. */
import type { Command } from "commander";
import { RemitPrincipal } from "@remit/sdk";
import { configPath, readConfig, writeConfig } from "../config";
import { clientDefaults, globals } from "../globals";
import { proc } from "../node";
import { Output } from "../output";
import { UsageError } from "../parse";

export function registerLogin(program: Command): void {
  program
    .command("login")
    .description("check a principal API key against the service and keep both in the config file (0600)")
    .usage("--url <url> --api-key <key>")
    .addHelpText("after", "\n--url and --api-key (the global options), or REMIT_URL and REMIT_API_KEY, are both required here.")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const out = new Output(!!g.json);
      const url = g.url ?? proc.env.REMIT_URL;
      const apiKey = g.apiKey ?? proc.env.REMIT_API_KEY;
      if (!url || !apiKey) throw new UsageError("remit login needs --url <url> and --api-key <key> (or REMIT_URL and REMIT_API_KEY)");
      const o = { url, apiKey };
      try {
        new URL(o.url);
      } catch {
        throw new UsageError(`--url "${o.url}" is not a URL`);
      }
      const principal = new RemitPrincipal({ ...clientDefaults, baseUrl: o.url, apiKey: o.apiKey });
      const keys = await principal.apiKeys.list();
      const file = configPath();
      const config = { ...(await readConfig(file)), url: principal.baseUrl, api_key: o.apiKey };
      await writeConfig(config, file);
      const id = /^rmt_([0-9a-z]{26})_/.exec(o.apiKey)?.[1];
      const who = id ? `prn_${id}` : "the principal";
      out.result(`logged in to ${principal.baseUrl} as ${who} (${keys.length} API key${keys.length === 1 ? "" : "s"}); config in ${file}`, {
        url: principal.baseUrl,
        principal: id ? `prn_${id}` : null,
        config: file,
      });
    });
}
