/** The flags that bound a session, shared by grant and delegate so both accept and mean the same. */
import { Option, type Command } from "commander";
import type { SessionBounds } from "@remit/sdk";
import type { Budget, DecimalsTable, Limits, RateLimit } from "@remit/sdk";
import { decimalsOf } from "@remit/sdk";
import { decimalsTable } from "./globals";
import { parseBudget, parseCount, parseRate, parseWhen, UsageError } from "./parse";

export interface BoundOptions {
  scope: string[];
  /** As typed: ASSET:AMOUNT[/period], parsed once the asset table is known. */
  budget: string[];
  /** Amounts (budgets, --amount) in integer minor units instead of major units. */
  minor?: boolean;
  rate?: RateLimit;
  calls?: number;
  expires?: Date;
  notBefore?: Date;
  maxDepth?: number;
  label?: string;
}

/**
 * Budgets in minor units for the wire. ISO 4217 currencies need nothing more; another
 * asset's decimals come from the service (`GET /v1/assets`, via `baseUrl`).
 */
export async function budgetsFrom(raw: string[], minor: boolean, baseUrl?: () => Promise<string>): Promise<Budget[]> {
  let table: DecimalsTable = {};
  const assets = raw.map((r) => /^([A-Za-z][A-Za-z0-9_]*):/.exec(r.trim())?.[1]?.toUpperCase());
  if (!minor && baseUrl && assets.some((a) => a !== undefined && decimalsOf(a) === undefined)) table = await decimalsTable(await baseUrl());
  return raw.map((r) => parseBudget(r, minor, table));
}

export async function boundsFrom(o: BoundOptions, baseUrl?: string | (() => Promise<string>)): Promise<SessionBounds> {
  const url = typeof baseUrl === "string" ? () => Promise.resolve(baseUrl) : baseUrl;
  const budgets = await budgetsFrom(o.budget, !!o.minor, url);
  const limits: Limits = {
    ...(o.calls !== undefined ? { calls: o.calls } : {}),
    ...(o.rate ? { rate: o.rate } : {}),
    ...(budgets.length > 0 ? { budgets } : {}),
  };
  return {
    scopes: o.scope,
    ...(o.expires ? { expiresAt: o.expires } : {}),
    ...(o.notBefore ? { notBefore: o.notBefore } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(o.maxDepth !== undefined ? { maxDepth: o.maxDepth } : {}),
    ...(o.label !== undefined ? { label: o.label } : {}),
  };
}

/** The options that bound a session, shared by grant and delegate. */
export function withBounds(cmd: Command, expiresRequired: boolean): Command {
  const expires = new Option("--expires <when>", `end of the session: 30m, 2h, 1d or RFC 3339${expiresRequired ? "" : " (default: the parent's)"}`).argParser((v) =>
    parseWhen(v, "--expires"),
  );
  if (expiresRequired) expires.makeOptionMandatory();
  return cmd
    .option(
      "--scope <scope>",
      "a scope, resource:action:target (repeatable), e.g. 'http:GET:api.example.com/*'",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option(
      "--budget <budget>",
      "ASSET:AMOUNT[/period] in major units, period hour|day|week|month (repeatable), e.g. USD:50.00/day",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option("--minor", "amounts are integer minor units (USD:5000/day is $50.00)")
    .option("--rate <rate>", "N/s, N/m, N/h or N/<seconds>s, e.g. 10/s", (v: string) => parseRate(v))
    .option("--calls <n>", "total number of calls", (v: string) => parseCount(v, "--calls"))
    .addOption(expires)
    .option("--not-before <when>", "start of the session: a duration from now or RFC 3339", (v: string) => parseWhen(v, "--not-before"))
    .option("--max-depth <n>", "how deep it may delegate", (v: string) => parseCount(v, "--max-depth"))
    .option("--label <text>", "a label for people");
}

export function requireScopes(o: BoundOptions): void {
  if (o.scope.length === 0) throw new UsageError("at least one --scope is required");
}
