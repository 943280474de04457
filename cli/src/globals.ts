/**
 * The global options and what they resolve to (flag, then environment, then the login
 * config), shared so every command finds the service and the principal the same way.
 */
import type { Command } from "commander";
import type { ClientOptions } from "@remit/sdk";
import { RemitPrincipal } from "@remit/sdk";
import { readConfig } from "./config";
import { proc } from "./node";
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
