/**
 * `remit-mcp --tools`: Remit's own tools for the agent that holds the session, as an MCP
 * server. The descriptions are written for a model to read.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { generateAgentKey, isRemitError, type RemitAgent } from "@remit/sdk";
import { z } from "zod";
import { remainingOf } from "./gateway";
import { type Logger, stderrLogger } from "./log";
import { VERSION } from "./version";

const AmountInput = z.strictObject({
  asset: z.string().regex(/^[A-Z][A-Z0-9_]{1,15}$/, { message: 'an asset code such as "USD"' }),
  value: z.union([z.string().regex(/^[1-9][0-9]{0,37}$/), z.number().int().positive().max(Number.MAX_SAFE_INTEGER)], {
    message: 'a positive integer in minor units, such as "250"',
  }),
});

const AuthorizeInput = z.strictObject({
  scope: z.string().min(1, { message: "the scope of the action, resource:action:target" }),
  amount: AmountInput.optional(),
  request_digest: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { message: "a lowercase hex SHA-256" })
    .optional(),
});

const DelegateInput = z.strictObject({
  scopes: z.array(z.string().min(1)).min(1, { message: "at least one scope, each covered by this session's" }).max(64),
  expires_in: z.number().int().min(1).optional(),
  budgets: z
    .array(z.strictObject({ asset: z.string(), amount: z.string().regex(/^[0-9]{1,38}$/), period: z.enum(["hour", "day", "week", "month"]).optional() }))
    .max(32)
    .optional(),
  calls: z.number().int().min(0).optional(),
  rate: z.strictObject({ requests: z.number().int().min(1), per_seconds: z.number().int().min(1) }).optional(),
  max_depth: z.number().int().min(0).max(16).optional(),
  label: z.string().max(200).optional(),
});

export const REMIT_TOOLS: Tool[] = [
  {
    name: "remit_status",
    title: "What my Remit session still allows",
    description:
      "Shows what remains of your Remit session before you act: each budget (asset, period, limit, spent, held, remaining, when the window resets), calls left, the rate limit's remaining requests and reset, the scopes you hold, and when the session expires. Costs nothing and counts as no action. Call it when you need to know whether you can afford something.",
    inputSchema: { type: "object", properties: {}, additionalProperties: false },
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  },
  {
    name: "remit_authorize",
    title: "Get authorization for one action",
    description:
      'Asks Remit to authorize one action you are about to take, outside MCP tools (an HTTP request, a purchase): give its scope as resource:action:target (e.g. "http:GET:api.example.com/v1/items") and, if it costs money, the amount in minor units (e.g. {"asset":"USD","value":"250"} for $2.50). This is the authorization itself, not a dry run: when allowed, it counts one call and debits the amount from your budgets, and you get a signed receipt id. When refused, the answer says why (scope not granted, which budget and what remains, when a rate limit resets) and nothing is debited. Only act if it is allowed.',
    inputSchema: {
      type: "object",
      properties: {
        scope: { type: "string", description: "resource:action:target, e.g. http:POST:api.example.com/v1/orders" },
        amount: {
          type: "object",
          description: "What the action costs, in minor units; leave out for an action that costs nothing",
          properties: { asset: { type: "string", description: 'e.g. "USD"' }, value: { type: "string", description: 'a positive integer, e.g. "250"' } },
          required: ["asset", "value"],
          additionalProperties: false,
        },
        request_digest: { type: "string", description: "Optional lowercase hex SHA-256 of the request, recorded in the receipt" },
      },
      required: ["scope"],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  },
  {
    name: "remit_delegate",
    title: "Give a sub-agent a narrower session",
    description:
      "Creates a child session for a sub-agent you start, with less authority than yours: a subset of your scopes, and optionally smaller budgets (minor units), fewer calls, a rate limit and an earlier expiry (seconds from now); what you leave out is inherited, anything wider than yours is refused. Whatever the child spends also counts against your budgets. Returns the child's session token and the path of a new private key file (mode 0600) to hand to the sub-agent as REMIT_TOKEN and REMIT_AGENT_KEY. Never print the token or the key's contents.",
    inputSchema: {
      type: "object",
      properties: {
        scopes: { type: "array", items: { type: "string" }, description: "Scopes for the child, each covered by one of yours" },
        expires_in: { type: "integer", description: "Seconds until the child session ends (no later than yours)" },
        budgets: {
          type: "array",
          items: {
            type: "object",
            properties: {
              asset: { type: "string" },
              amount: { type: "string", description: "minor units" },
              period: { type: "string", enum: ["hour", "day", "week", "month"] },
            },
            required: ["asset", "amount"],
            additionalProperties: false,
          },
        },
        calls: { type: "integer", description: "How many actions the child may take" },
        rate: {
          type: "object",
          properties: { requests: { type: "integer" }, per_seconds: { type: "integer" } },
          required: ["requests", "per_seconds"],
          additionalProperties: false,
        },
        max_depth: { type: "integer", description: "How many levels the child may delegate further" },
        label: { type: "string", description: "A name for the child session, shown to the principal" },
      },
      required: ["scopes"],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  },
  {
    name: "remit_revoke_self",
    title: "End my own session",
    description:
      "Would end your own Remit session (and every session delegated from it) at once, for when you are done or suspect your token leaked. Not available yet: the Remit service has no route for an agent to revoke itself; the answer says so and nothing changes. Ask your principal to revoke the session instead.",
    inputSchema: { type: "object", properties: {}, additionalProperties: false },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  },
];

function ok(data: Record<string, unknown>, summary: string): CallToolResult {
  return { content: [{ type: "text", text: `${summary}\n${JSON.stringify(data, null, 2)}` }], structuredContent: data };
}

function refused(err: unknown): CallToolResult {
  if (isRemitError(err)) {
    return {
      isError: true,
      content: [{ type: "text", text: err.detail || err.title }],
      _meta: { remit: { type: err.type, code: err.code, receipt: err.receiptId ?? null } },
    };
  }
  return {
    isError: true,
    content: [{ type: "text", text: `Remit could not be reached (${err instanceof Error ? err.message : String(err)}). Try again later.` }],
    _meta: { remit: { type: "remit-unreachable" } },
  };
}

function badInput(error: z.ZodError): CallToolResult {
  const lines = error.issues.map((i) => `${i.path.length ? i.path.join(".") : "arguments"}: ${i.message}`);
  return { isError: true, content: [{ type: "text", text: `Invalid arguments:\n${lines.join("\n")}` }] };
}

export interface ToolsServerOptions {
  agent: RemitAgent;
  /** Where remit_delegate writes child keys (created 0700). */
  keyDir: string;
  log?: Logger;
}

export class RemitTools {
  private readonly agent: RemitAgent;
  private readonly keyDir: string;
  private readonly log: Logger;

  constructor(options: ToolsServerOptions) {
    this.agent = options.agent;
    this.keyDir = options.keyDir;
    this.log = options.log ?? stderrLogger;
  }

  async call(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    const started = performance.now();
    const result = await this.dispatch(name, args);
    const remit = (result._meta?.remit ?? {}) as Record<string, unknown>;
    this.log({
      event: "call",
      tool: name,
      decision: result.isError ? "refused" : "ok",
      problem: remit.code ?? null,
      receipt: remit.receipt ?? (result.structuredContent as { receipt?: string } | undefined)?.receipt ?? null,
      ms: Math.round(performance.now() - started),
    });
    return result;
  }

  private async dispatch(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    switch (name) {
      case "remit_status":
        try {
          const s = await this.agent.session();
          return ok(
            { session: s.id, status: s.status, scopes: s.scopes, ...remainingOf(s), max_depth: s.max_depth, depth: s.depth },
            `Session ${s.id} is ${s.status} until ${s.expires_at}.`,
          );
        } catch (err) {
          return refused(err);
        }
      case "remit_authorize": {
        const input = AuthorizeInput.safeParse(args);
        if (!input.success) return badInput(input.error);
        try {
          const { scope, amount, request_digest } = input.data;
          const a = await this.agent.authorize(scope, { ...(amount ? { amount } : {}), ...(request_digest ? { requestDigest: request_digest } : {}) });
          return ok(
            { allowed: true, scope, receipt: a.receipt.receipt.id, amount: amount ?? null, ...remainingOf(a.session) },
            `Allowed: ${scope}${amount ? ` for ${amount.value} ${amount.asset}` : ""} (receipt ${a.receipt.receipt.id}).`,
          );
        } catch (err) {
          return refused(err);
        }
      }
      case "remit_delegate": {
        const input = DelegateInput.safeParse(args);
        if (!input.success) return badInput(input.error);
        const d = input.data;
        const key = generateAgentKey();
        let grant: Awaited<ReturnType<RemitAgent["delegate"]>>;
        try {
          // The service takes limits as one bound: a child that names some of them would drop the
          // rest (and widen). What the model leaves out is inherited, as the description says.
          const given = d.budgets !== undefined || d.calls !== undefined || d.rate !== undefined;
          const parent = given ? (await this.agent.session()).limits : {};
          const budgets = d.budgets ?? parent.budgets;
          const calls = d.calls ?? parent.calls;
          const rate = d.rate ?? parent.rate;
          const limits = { ...(budgets ? { budgets } : {}), ...(calls !== undefined ? { calls } : {}), ...(rate ? { rate } : {}) };
          grant = await this.agent.delegate({
            key,
            scopes: d.scopes,
            ...(d.expires_in !== undefined ? { expiresIn: d.expires_in } : {}),
            ...(Object.keys(limits).length ? { limits } : {}),
            ...(d.max_depth !== undefined ? { maxDepth: d.max_depth } : {}),
            ...(d.label !== undefined ? { label: d.label } : {}),
          });
        } catch (err) {
          return refused(err);
        }
        await mkdir(this.keyDir, { recursive: true, mode: 0o700 });
        const file = join(this.keyDir, `${grant.session.id}.jwk`);
        await writeFile(file, `${JSON.stringify(key.privateJwk, null, 2)}\n`, { mode: 0o600, flag: "wx" });
        await chmod(file, 0o600);
        return ok(
          {
            session: grant.session.id,
            token: grant.token,
            key_file: file,
            scopes: grant.session.scopes,
            expires_at: grant.session.expires_at,
            limits: grant.session.limits,
          },
          `Child session ${grant.session.id} created. Give the sub-agent REMIT_TOKEN=<token> and REMIT_AGENT_KEY=${file}.`,
        );
      }
      case "remit_revoke_self":
        return {
          isError: true,
          content: [
            {
              type: "text",
              text: "Not available yet: the Remit service has no route for an agent to revoke its own session (POST /v1/session/revoke does not exist). Nothing was changed. Ask your principal to revoke this session (`remit revoke <session id>`, or POST /v1/sessions/{id}/revoke with their API key).",
            },
          ],
          _meta: { remit: { type: "not-available", code: "not-available" } },
        };
      default:
        return { isError: true, content: [{ type: "text", text: `Unknown tool: ${name}. The tools are ${REMIT_TOOLS.map((t) => t.name).join(", ")}.` }] };
    }
  }

  createServer(): Server {
    const server = new Server(
      { name: "remit", version: VERSION },
      { capabilities: { tools: {} }, instructions: "Remit's tools for the agent holding this session: what remains, authorizing an action, delegating to a sub-agent." },
    );
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: REMIT_TOOLS }));
    server.setRequestHandler(CallToolRequestSchema, async (request) => this.call(request.params.name, request.params.arguments));
    return server;
  }
}
