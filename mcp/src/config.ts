/**
 * remit-mcp.json: which upstream MCP server, what each of its tools costs, and what
 * to do with the ones the file does not name. Validated with zod; a bad file is refused
 * with every field that is wrong, each with how to fix it.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";

const ASSET = /^[A-Z][A-Z0-9_]{1,15}$/;
const AMOUNT = /^[1-9][0-9]{0,37}$/;

const Asset = z.string().regex(ASSET, { message: 'an asset code is 2-16 of A-Z, 0-9 and _, starting with a letter (e.g. "USD")' });

const Price = z.strictObject(
  {
    asset: Asset,
    value: z
      .string()
      .regex(AMOUNT, { message: 'a price is a decimal string of a positive integer in minor units (e.g. "5" for 5 cents); for a free tool write { "free": true }' }),
  },
  { message: 'write a price as { "asset": "USD", "value": "5" }' },
);

const Tool = z
  .strictObject(
    {
      price: Price.optional(),
      amount_from: z
        .string()
        .regex(/^[^.]+(\.[^.]+)*$/, { message: 'name the argument holding the amount as a dot path (e.g. "amount" or "order.total")' })
        .optional(),
      asset: Asset.optional(),
      deny: z.literal(true, { message: 'write "deny": true, or leave it out' }).optional(),
      free: z.literal(true, { message: 'write "free": true, or leave it out' }).optional(),
    },
    { message: 'a tool is { "price": {…} }, { "amount_from": "arg", "asset": "USD" }, { "free": true } or { "deny": true }' },
  )
  .superRefine((t, ctx) => {
    const kinds = [t.price && "price", t.amount_from && "amount_from", t.deny && "deny", t.free && "free"].filter(Boolean);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `give exactly one of "price", "amount_from", "free" or "deny" (found ${kinds.length ? kinds.join(", ") : "none"})`,
      });
    }
    if (t.amount_from && !t.asset) ctx.addIssue({ code: "custom", path: ["asset"], message: 'an "amount_from" tool needs "asset" (e.g. "USD")' });
    if (t.asset && !t.amount_from)
      ctx.addIssue({ code: "custom", path: ["asset"], message: '"asset" goes with "amount_from"; a fixed price carries its asset inside "price"' });
  });

const StdioUpstream = z.strictObject({
  command: z.string().min(1, { message: 'the command that starts the upstream server (e.g. "node" or "npx")' }),
  args: z.array(z.string(), { message: 'a list of strings (e.g. ["server.mjs"])' }).default([]),
  env: z.record(z.string(), z.string(), { message: "an object of string values" }).optional(),
  cwd: z.string().optional(),
});

const HttpUpstream = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'the upstream\'s Streamable HTTP endpoint (e.g. "http://127.0.0.1:9000/mcp")' }),
  headers: z.record(z.string(), z.string(), { message: "an object of string values" }).optional(),
});

const Upstream = z.unknown().transform((value, ctx) => {
  const v = value as Record<string, unknown> | null;
  const shape = typeof v === "object" && v !== null && !Array.isArray(v) ? ("url" in v ? HttpUpstream : "command" in v ? StdioUpstream : null) : null;
  if (!shape) {
    ctx.addIssue({ code: "custom", message: 'give { "command": "node", "args": ["server.mjs"] } (stdio) or { "url": "http://127.0.0.1:9000/mcp" } (Streamable HTTP)' });
    return z.NEVER;
  }
  const parsed = shape.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: "custom", path: issue.path, message: issue.message } as never);
    return z.NEVER;
  }
  return parsed.data as StdioUpstreamConfig | HttpUpstreamConfig;
});

export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  server: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, {
    message: 'the name tool scopes use (mcp:call:<server>/<tool>): 1-64 of A-Z a-z 0-9 _ . - (e.g. "weather")',
  }),
  upstream: Upstream,
  tools: z.record(z.string(), Tool).default({}),
  unlisted: z.enum(["free", "deny"], { message: 'either "free" (tools the file does not name cost nothing) or "deny" (they are hidden)' }).default("deny"),
  approval_wait: z.number({ message: "seconds to wait for an approval (0 answers at once)" }).min(0).max(3600).default(0),
  timeout_ms: z.number({ message: "milliseconds an upstream tool call may take" }).int().min(1).max(3_600_000).default(60_000),
});

export type StdioUpstreamConfig = z.output<typeof StdioUpstream>;
export type HttpUpstreamConfig = z.output<typeof HttpUpstream>;
export type GatewayConfig = z.output<typeof ConfigSchema>;
export type ToolPolicy = z.output<typeof Tool>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.length ? path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".") : "(the file)";
}

/** A validated config, or a ConfigError naming each bad field and how to fix it. */
export function parseConfig(value: unknown, source = "config"): GatewayConfig {
  const parsed = ConfigSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => {
    const field = fieldName(i.path);
    const message = i.code === "unrecognized_keys" ? `unknown field(s) ${i.keys.map((k) => `"${k}"`).join(", ")}: remove them (or check the spelling)` : i.message;
    return `  ${field}: ${message}`;
  });
  throw new ConfigError(`${source} is not a valid remit-mcp config:\n${lines.join("\n")}`);
}

export async function loadConfig(file: string): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read the config ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}); pass --config <file>`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not JSON (${(err as Error).message})`);
  }
  return parseConfig(value, file);
}
