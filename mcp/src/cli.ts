#!/usr/bin/env node
/**
 * remit-mcp — an MCP gateway that puts every tool call under the agent's Remit session.
 *
 *   remit-mcp --config remit-mcp.json            gateway on stdio
 *   remit-mcp --config remit-mcp.json --http 7000 [--host 127.0.0.1]
 *   remit-mcp --tools [--key-dir DIR]            Remit's own tools (status, authorize, delegate)
 *
 * The session: REMIT_URL, REMIT_TOKEN, REMIT_AGENT_KEY (path of the private JWK file).
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "./config";
import { agentFromEnv, EnvError } from "./env";
import { Gateway } from "./gateway";
import { stderrLogger } from "./log";
import { serveHttp, serveStdio } from "./serve";
import { RemitTools } from "./tools-server";
import { VERSION } from "./version";

const USAGE = `usage: remit-mcp --config remit-mcp.json [--http PORT] [--host 127.0.0.1]
       remit-mcp --tools [--http PORT] [--host 127.0.0.1] [--key-dir DIR]
environment: REMIT_URL, REMIT_TOKEN (session token), REMIT_AGENT_KEY (private JWK file)`;

class UsageError extends Error {}

function port(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--http ${value}: a TCP port (0-65535; 0 picks a free one)`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  let values: ReturnType<typeof parse>["values"];
  function parse() {
    return parseArgs({
      args: argv,
      options: {
        config: { type: "string", short: "c" },
        http: { type: "string" },
        host: { type: "string", default: "127.0.0.1" },
        tools: { type: "boolean", default: false },
        "key-dir": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  }
  try {
    values = parse().values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  if (values.version) return void process.stdout.write(`${VERSION}\n`);
  if (values.tools === Boolean(values.config)) throw new UsageError("give --config <file> (the gateway) or --tools (Remit's own tools)");
  const httpPort = port(values.http);
  const host = values.host ?? "127.0.0.1";

  const config = values.config ? await loadConfig(values.config) : null;
  const agent = await agentFromEnv();
  const app = config
    ? new Gateway({ config, agent })
    : new RemitTools({ agent, keyDir: values["key-dir"] ?? join(tmpdir(), `remit-mcp-keys-${process.getuid?.() ?? "user"}`) });
  if (app instanceof Gateway) await app.start();
  const make = () => app.createServer();

  if (httpPort !== undefined) {
    const serving = await serveHttp(make, httpPort, host);
    stderrLogger({ event: "listening", url: serving.url });
    const stop = async () => {
      await serving.close();
      if (app instanceof Gateway) await app.close();
      process.exit(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  } else {
    const server = await serveStdio(make);
    // The client closing stdin ends the session, and with it the upstream.
    server.onclose = async () => {
      if (app instanceof Gateway) await app.close();
      process.exit(0);
    };
    process.stdin.on("end", () => void server.close());
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) process.stderr.write(`remit-mcp: ${err.message}\n${USAGE}\n`);
  else if (err instanceof ConfigError || err instanceof EnvError) process.stderr.write(`remit-mcp: ${err.message}\n`);
  else process.stderr.write(`remit-mcp: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
