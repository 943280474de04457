/**
 * The pieces of the gateway's end-to-end tests: a real `remit-mcp` process (from source,
 * through mcp/bin/remit-mcp.mjs), the official SDK's Client in front of it, and the test
 * upstream (test/support/mcp-upstream.mjs) behind it, over stdio or Streamable HTTP.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { AgentKey } from "@remit/sdk";

export const GATEWAY_BIN = fileURLToPath(new URL("../../mcp/bin/remit-mcp.mjs", import.meta.url));
export const UPSTREAM = fileURLToPath(new URL("./mcp-upstream.mjs", import.meta.url));

export const tempDir = (): string => mkdtempSync(join(tmpdir(), "remit-mcp-test-"));

/** The private JWK file `remit keygen --out` would write. */
export function writeKeyFile(dir: string, key: AgentKey, name = "agent.jwk"): string {
  const file = join(dir, name);
  writeFileSync(file, `${JSON.stringify(key.privateJwk, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/** Each tools/call that reached the upstream, from its side channel. */
export function upstreamCalls(logFile: string): Array<{ tool: string; arguments: Record<string, unknown> }> {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { tool: string; arguments: Record<string, unknown> });
}

export const STANDARD_TOOLS = {
  get_forecast: { price: { asset: "USD", value: "5" } },
  buy: { amount_from: "order.amount", asset: "USD" },
  ping: { free: true },
  flaky: { price: { asset: "USD", value: "5" } },
  broken: { price: { asset: "USD", value: "5" } },
  slow: { price: { asset: "USD", value: "5" } },
  drop_table: { deny: true },
  add_tool: { free: true },
  late_tool: { free: true },
};

export interface Session {
  url: string;
  token: string;
  keyFile: string;
}

export interface RunningGateway {
  client: Client;
  /** The gateway's stderr, one parsed JSON line each (non-JSON lines kept as { raw }). */
  logs: Array<Record<string, unknown>>;
  /** The raw stderr text. */
  stderr: () => string;
  /** Notifications the client received (method names). */
  notifications: string[];
  close(): Promise<void>;
}

function sessionEnv(s: Session): Record<string, string> {
  return { PATH: process.env.PATH ?? "", REMIT_URL: s.url, REMIT_TOKEN: s.token, REMIT_AGENT_KEY: s.keyFile };
}

function parseLines(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return { raw: l };
      }
    });
}

function track(client: Client, notifications: string[]): void {
  client.fallbackNotificationHandler = async (n) => {
    notifications.push(n.method);
  };
}

/** A gateway on stdio, started by the SDK's StdioClientTransport as an MCP host would. */
export async function startStdioGateway(session: Session, configFile: string, extraArgs: string[] = []): Promise<RunningGateway> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [GATEWAY_BIN, ...(configFile ? ["--config", configFile] : []), ...extraArgs],
    env: sessionEnv(session),
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (c: Buffer) => {
    err += c.toString("utf8");
  });
  const client = new Client({ name: "remit-mcp-test", version: "1.0.0" });
  const notifications: string[] = [];
  track(client, notifications);
  try {
    await client.connect(transport);
  } catch (e) {
    throw new Error(`the gateway did not start: ${String(e)}\n${err}`);
  }
  return {
    client,
    get logs() {
      return parseLines(err);
    },
    stderr: () => err,
    notifications,
    close: () => client.close(),
  };
}

/** A gateway with --http on a free port; the client speaks Streamable HTTP to it. */
export async function startHttpGateway(session: Session, args: string[]): Promise<RunningGateway & { url: string; process: ChildProcess }> {
  const child = spawn(process.execPath, [GATEWAY_BIN, ...args, "--http", "0"], { env: sessionEnv(session), stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not listen:\n${err}`)), 30_000);
    child.stderr!.on("data", (c: Buffer) => {
      err += c.toString("utf8");
      const listening = parseLines(err).find((l) => l.event === "listening");
      if (listening) {
        clearTimeout(timer);
        resolve(listening.url as string);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited (${code}):\n${err}`));
    });
  });
  const client = new Client({ name: "remit-mcp-test", version: "1.0.0" });
  const notifications: string[] = [];
  track(client, notifications);
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return {
    url,
    process: child,
    client,
    get logs() {
      return parseLines(err);
    },
    stderr: () => err,
    notifications,
    async close() {
      await client.close();
      await stopChild(child);
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  await exited;
}

/** The test upstream on Streamable HTTP. */
export async function startHttpUpstream(logFile: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [UPSTREAM, "--http", "0"], {
    env: { PATH: process.env.PATH ?? "", UPSTREAM_LOG: logFile },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString("utf8");
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`the upstream exited (${code})`)));
  });
  return { url, stop: () => stopChild(child) };
}

/** A config file for the test upstream (stdio unless `upstream` says otherwise). */
export function writeConfig(dir: string, logFile: string, overrides: Record<string, unknown> = {}, name = "remit-mcp.json"): string {
  const file = join(dir, name);
  const config = {
    server: "weather",
    upstream: { command: process.execPath, args: [UPSTREAM], env: { UPSTREAM_LOG: logFile } },
    tools: STANDARD_TOOLS,
    unlisted: "deny",
    timeout_ms: 2000,
    ...overrides,
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Runs remit-mcp to its exit (for refusals at start); its exit code and stderr. */
export function runGateway(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [GATEWAY_BIN, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString("utf8");
    });
    child.once("exit", (code) => resolve({ code, stderr: err }));
  });
}
