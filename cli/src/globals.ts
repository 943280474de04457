/**
 * The global options and what they resolve to (flag, then environment, then the login
 * config), shared so every command finds the service and the principal the same way.
 */
import type { Command } from "commander";
import type { ClientOptions, DecimalsTable } from "@remit/sdk";
import { RemitAgent, RemitClient, RemitPrincipal } from "@remit/sdk";
import { readConfig } from "./config";
import { readPrivateKey } from "./key-files";
import { errnoCode, fs, proc } from "./node";
import { UsageError } from "./parse";

export const VERSION = "0.1.0";

export interface GlobalOptions {
  json?: boolean;
  url?: string;
  apiKey?: string;
}

export const clientDefaults: Omit<ClientOptions, "baseUrl"> = { maxRetries: 2, timeoutMs: 30_000, userAgent: `remit-cli/${VERSION}` };

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export async function serviceUrl(g: GlobalOptions): Promise<string> {
  const url = g.url ?? proc.env.REMIT_URL ?? (await readConfig()).url;
  if (!url) throw new UsageError("no service URL: run `remit login --url <url> --api-key <key>`, or pass --url");
  try {
    new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a URL`);
  }
  return url;
}

export async function principalFrom(g: GlobalOptions): Promise<RemitPrincipal> {
  const config = await readConfig();
  const apiKey = g.apiKey ?? proc.env.REMIT_API_KEY ?? config.api_key;
  if (!apiKey) throw new UsageError("not logged in: run `remit login --url <url> --api-key <key>`, or pass --api-key");
  return new RemitPrincipal({ ...clientDefaults, baseUrl: await serviceUrl(g), apiKey });
}

/** The service's asset table (`GET /v1/assets`) as decimals; ISO 4217 only when it cannot be read. */
export async function decimalsTable(baseUrl: string): Promise<DecimalsTable> {
  try {
    const list = await new RemitClient({ ...clientDefaults, maxRetries: 0, timeoutMs: 5000, baseUrl }).assets();
    return Object.fromEntries(list.map((a) => [a.asset, a.decimals]));
  } catch {
    return {};
  }
}

export interface AgentFlags {
  token?: string;
  key?: string;
}

/** The session token: `--token` (or `@file`), else REMIT_TOKEN. */
export async function tokenFrom(o: AgentFlags): Promise<string> {
  let token = o.token ?? proc.env.REMIT_TOKEN;
  if (!token) throw new UsageError('no session token: pass --token, or set REMIT_TOKEN (eval "$(remit grant … --export)" does)');
  if (token.startsWith("@")) {
    try {
      token = (await fs.readFile(token.slice(1), "utf8")).trim();
    } catch (err) {
      throw new UsageError(`--token ${token}: cannot read the file (${errnoCode(err) ?? String(err)})`);
    }
  }
  return token;
}

/** The agent: its token (`--token`/REMIT_TOKEN) and private key file (`--key`/REMIT_AGENT_KEY). */
export async function agentFrom(g: GlobalOptions, o: AgentFlags): Promise<{ agent: RemitAgent; table: DecimalsTable }> {
  const token = await tokenFrom(o);
  const keyFile = o.key ?? proc.env.REMIT_AGENT_KEY;
  if (!keyFile) throw new UsageError('no agent key: pass --key <file>, or set REMIT_AGENT_KEY (eval "$(remit keygen --export)" does)');
  const key = await readPrivateKey(keyFile, "--key");
  const baseUrl = await serviceUrl(g);
  const table = await decimalsTable(baseUrl);
  return { agent: new RemitAgent({ ...clientDefaults, baseUrl, token, key, assetDecimals: table }), table };
}

/** `export NAME='value'` lines for `eval "$(remit … --export)"`. */
export function exportLines(vars: Record<string, string>): string {
  const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return Object.entries(vars)
    .map(([k, v]) => `export ${k}=${sq(v)}`)
    .join("\n");
}
