/**
 * The gateway: an MCP server in front of one upstream MCP server. Every tool call is one
 * Remit action with the scope `mcp:call:<server>/<tool>`:
 *
 *   priced tool   hold the price up the tree → call upstream → capture, or void when the
 *                 upstream throws, times out or answers isError (a failed tool costs nothing)
 *   free tool     one authorize with no amount (it still counts calls, rate and scope) → call upstream
 *   refused       an isError tool result in the problem's own words; the upstream is not called
 *
 * tools/list shows only the upstream's tools that the session's scopes cover and the config
 * does not deny; a hidden tool answers exactly as an unknown one.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  ListToolsRequestSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { isRemitError, type Authorization, type RemitAgent, type Session } from "@remit/sdk";
import { readAmount } from "./amount";
import type { GatewayConfig, ToolPolicy } from "./config";
import { callDigest } from "./digest";
import { type Logger, stderrLogger } from "./log";
import { coveredByAny, scopeSafe, toolScope } from "./scopes";
import { VERSION } from "./version";

export interface GatewayOptions {
  config: GatewayConfig;
  agent: RemitAgent;
  log?: Logger;
}

/** What a call costs, decided from the config before anything is sent anywhere. */
type Pricing = { kind: "free" } | { kind: "priced"; asset: string; value: string } | { kind: "bad-amount"; message: string };

export interface RemainingView {
  budgets: Array<{ asset: string; period: string | null; limit: string; spent: string; held: string; remaining: string; resets_at: string | null }>;
  calls: number | null;
  rate: { remaining: number; reset_seconds: number } | null;
  expires_at: string;
}

export function remainingOf(session: Session): RemainingView {
  const c = session.counters;
  return {
    budgets: c.budgets.map((b) => ({ asset: b.asset, period: b.period, limit: b.limit, spent: b.spent, held: b.held, remaining: b.remaining, resets_at: b.resets_at })),
    calls: c.calls ? c.calls.remaining : null,
    rate: c.rate ? { remaining: c.rate.remaining, reset_seconds: c.rate.reset_seconds } : null,
    expires_at: session.expires_at,
  };
}

function text(t: string): CallToolResult["content"] {
  return [{ type: "text", text: t }];
}

function unknownTool(name: string): CallToolResult {
  return {
    isError: true,
    content: text(`Unknown tool: ${name}. Call tools/list to see the tools this session may call.`),
    _meta: { remit: { decision: "refused", type: "unknown-tool" } },
  };
}

/** The approval object a `202` carries (a later service feature), when there is one. */
function approvalOf(body: unknown): { id: string } | null {
  const a = (body as { approval?: { id?: unknown } } | null)?.approval;
  return a && typeof a.id === "string" ? { id: a.id } : null;
}

export class Gateway {
  readonly config: GatewayConfig;
  readonly agent: RemitAgent;
  private readonly log: Logger;
  private upstream: Client | null = null;
  private scopes: string[] = [];
  private upstreamTools: Tool[] | null = null;
  private readonly servers = new Set<Server>();

  constructor(options: GatewayOptions) {
    this.config = options.config;
    this.agent = options.agent;
    this.log = options.log ?? stderrLogger;
  }

  /** Reads the session (its scopes) and connects to the upstream. */
  async start(): Promise<void> {
    const session = await this.agent.session();
    this.scopes = session.scopes;
    const client = new Client({ name: "remit-mcp", version: VERSION });
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      this.upstreamTools = null;
      await this.refreshTools().catch((err: unknown) => this.log({ event: "upstream-list-failed", error: String(err) }));
      this.log({ event: "tools-changed", tools: [...this.visibleNames()] });
      await Promise.all([...this.servers].map((s) => s.sendToolListChanged().catch(() => {})));
    });
    const up = this.config.upstream;
    const transport =
      "url" in up
        ? new StreamableHTTPClientTransport(new URL(up.url), up.headers ? { requestInit: { headers: up.headers } } : {})
        : new StdioClientTransport({
            command: up.command,
            args: up.args,
            // Only the SDK's short list of safe variables (PATH, HOME…) and what the config names:
            // the session token and key path never reach the upstream.
            env: { ...getDefaultEnvironment(), ...(up.env ?? {}) },
            ...(up.cwd ? { cwd: up.cwd } : {}),
            stderr: "inherit",
          });
    await client.connect(transport);
    this.upstream = client;
    await this.refreshTools();
    this.log({ event: "ready", server: this.config.server, session: session.id, upstream: "url" in up ? up.url : up.command, tools: [...this.visibleNames()].length });
  }

  async close(): Promise<void> {
    await Promise.all([...this.servers].map((s) => s.close().catch(() => {})));
    await this.upstream?.close().catch(() => {});
  }

  private policyOf(name: string): ToolPolicy | "unlisted" {
    return Object.hasOwn(this.config.tools, name) ? this.config.tools[name]! : "unlisted";
  }

  /** Shown and callable: named by the upstream, not denied, covered by the session's scopes. */
  visible(name: string): boolean {
    if (!scopeSafe(name)) return false;
    const policy = this.policyOf(name);
    if (policy === "unlisted" ? this.config.unlisted === "deny" : policy.deny) return false;
    return coveredByAny(this.scopes, toolScope(this.config.server, name));
  }

  private visibleNames(): Set<string> {
    return new Set((this.upstreamTools ?? []).map((t) => t.name).filter((n) => this.visible(n)));
  }

  private async refreshTools(): Promise<Tool[]> {
    const client = this.need();
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    this.upstreamTools = tools;
    return tools;
  }

  private need(): Client {
    if (!this.upstream) throw new Error("the gateway is not started");
    return this.upstream;
  }

  async listTools(): Promise<Tool[]> {
    const all = this.upstreamTools ?? (await this.refreshTools());
    const shown = all.filter((t) => this.visible(t.name));
    this.log({ event: "list", shown: shown.map((t) => t.name), hidden: all.length - shown.length });
    return shown;
  }

  private pricing(name: string, args: Record<string, unknown>): Pricing {
    const policy = this.policyOf(name);
    if (policy === "unlisted" || policy.free) return { kind: "free" };
    if (policy.price) return { kind: "priced", asset: policy.price.asset, value: policy.price.value };
    const read = readAmount(args, policy.amount_from!);
    if (!read.ok) return { kind: "bad-amount", message: read.message };
    // Zero costs nothing: an authorize with no amount (the service refuses a hold of 0).
    if (read.value === "0") return { kind: "free" };
    return { kind: "priced", asset: policy.asset!, value: read.value };
  }

  /** One tools/call, from the gateway's client to the upstream, under the session. */
  async callTool(name: string, rawArgs: Record<string, unknown> | undefined): Promise<CallToolResult> {
    const started = performance.now();
    const args = rawArgs ?? {};
    const entry: Record<string, unknown> = { event: "call", tool: name };
    const done = (result: CallToolResult, fields: Record<string, unknown>): CallToolResult => {
      this.log({ ...entry, ...fields, ms: Math.round((performance.now() - started) * 10) / 10 });
      return result;
    };
    if (!(this.upstreamTools ?? []).some((t) => t.name === name) || !this.visible(name)) {
      return done(unknownTool(name), { decision: "unknown-tool", amount: null, receipt: null });
    }
    const pricing = this.pricing(name, args);
    if (pricing.kind === "bad-amount") {
      return done(
        { isError: true, content: text(pricing.message), _meta: { remit: { decision: "refused", type: "invalid-amount" } } },
        { decision: "invalid-amount", amount: null, receipt: null },
      );
    }
    const scope = toolScope(this.config.server, name);
    let digest: string;
    try {
      digest = callDigest(name, args);
    } catch (err) {
      const message = `The arguments have no canonical JSON form (${(err as Error).message}); send plain JSON values.`;
      return done(
        { isError: true, content: text(message), _meta: { remit: { decision: "refused", type: "invalid-arguments" } } },
        { decision: "invalid-arguments", amount: null, receipt: null },
      );
    }
    const amount = pricing.kind === "priced" ? { asset: pricing.asset, value: pricing.value } : null;
    entry.amount = amount ? `${amount.value} ${amount.asset}` : null;
    entry.request_digest = digest;

    // 1. Ask Remit.
    let holdId: string | null = null;
    let authorization: Authorization | null = null;
    try {
      if (amount) {
        const expiresIn = Math.ceil(this.config.timeout_ms / 1000) + 60;
        const hold = await this.agent.hold(scope, amount, { expiresIn, requestDigest: digest });
        const approval = approvalOf(hold);
        if (approval) return done(this.approvalResult(approval.id, scope, digest), { decision: "approval-required", approval: approval.id, receipt: null });
        holdId = hold.id;
      } else {
        authorization = await this.agent.authorize(scope, { requestDigest: digest });
        const approval = approvalOf(authorization);
        if (approval) return done(this.approvalResult(approval.id, scope, digest), { decision: "approval-required", approval: approval.id, receipt: null });
      }
    } catch (err) {
      return done(this.refusal(err, scope, digest), {
        decision: "refused",
        problem: isRemitError(err) ? err.code : "remit-unreachable",
        receipt: isRemitError(err) ? (err.receiptId ?? null) : null,
      });
    }

    // 2. The upstream call.
    let result: CallToolResult;
    let failure: string | null = null;
    try {
      result = (await this.need().request({ method: "tools/call", params: { name, arguments: args } }, CallToolResultSchema, {
        timeout: this.config.timeout_ms,
      })) as CallToolResult;
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
      result = { isError: true, content: text(`The upstream tool failed: ${failure}`) };
    }

    // 3. Settle.
    if (!amount) {
      const receipt = authorization!.receipt.receipt.id;
      const meta = { decision: "allowed", scope, receipt, request_digest: digest, remaining: remainingOf(authorization!.session) };
      return done(withMeta(result, meta), { decision: failure ? "allowed-upstream-failed" : result.isError ? "allowed-upstream-error" : "allowed", receipt });
    }
    if (failure !== null || result.isError) {
      try {
        const voided = await this.agent.void(holdId!);
        const meta = {
          decision: "voided",
          scope,
          hold: holdId,
          receipt: voided.receipt.receipt.id,
          request_digest: digest,
          charged: null,
          remaining: await this.remaining(),
        };
        return done(withMeta(result, meta), { decision: "voided", hold: holdId, receipt: voided.receipt.receipt.id, upstream: failure ?? "isError" });
      } catch (err) {
        // The hold expires by itself; nothing is captured either way.
        const meta = { decision: "void-failed", scope, hold: holdId, receipt: null, request_digest: digest, charged: null };
        return done(withMeta(result, meta), { decision: "void-failed", hold: holdId, receipt: null, error: String(err) });
      }
    }
    try {
      const captured = await this.agent.capture(holdId!);
      const meta = {
        decision: "captured",
        scope,
        hold: holdId,
        receipt: captured.receipt.receipt.id,
        request_digest: digest,
        charged: amount,
        remaining: await this.remaining(),
      };
      return done(withMeta(result, meta), { decision: "captured", hold: holdId, receipt: captured.receipt.receipt.id });
    } catch (err) {
      // The tool ran; the capture did not go through (the hold stays open until it expires).
      const meta = { decision: "capture-failed", scope, hold: holdId, receipt: null, request_digest: digest, error: isRemitError(err) ? err.detail : String(err) };
      return done(withMeta(result, meta), { decision: "capture-failed", hold: holdId, receipt: null, error: String(err) });
    }
  }

  private async remaining(): Promise<RemainingView | null> {
    try {
      return remainingOf(await this.agent.session());
    } catch {
      return null;
    }
  }

  private approvalResult(id: string, scope: string, digest: string): CallToolResult {
    return {
      isError: true,
      content: text(
        `This call needs a person's approval (approval ${id}). Ask the principal to approve it, then call the tool again. remit-mcp does not wait for approvals yet (approval_wait is not available).`,
      ),
      _meta: { remit: { decision: "approval-required", approval: id, scope, request_digest: digest } },
    };
  }

  private refusal(err: unknown, scope: string, digest: string): CallToolResult {
    if (isRemitError(err)) {
      return {
        isError: true,
        content: text(err.detail || err.title),
        _meta: {
          remit: {
            decision: "refused",
            type: err.type,
            code: err.code,
            receipt: err.receiptId ?? null,
            scope,
            request_digest: digest,
            ...(err.retryAfter !== undefined ? { retry_after: err.retryAfter } : {}),
          },
        },
      };
    }
    return {
      isError: true,
      content: text(`Remit could not be reached, so the call was not made (${err instanceof Error ? err.message : String(err)}). Try again later.`),
      _meta: { remit: { decision: "refused", type: "remit-unreachable", receipt: null, scope, request_digest: digest } },
    };
  }

  /** A fresh MCP server for one client connection, answering from this gateway. */
  createServer(): Server {
    const server = new Server(
      { name: `remit-mcp (${this.config.server})`, version: VERSION },
      {
        capabilities: { tools: { listChanged: true } },
        instructions: `Every tool call here is checked against your Remit session and may cost money; a refused call says why. Results carry _meta.remit with the receipt id and what remains.`,
      },
    );
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await this.listTools() }));
    server.setRequestHandler(CallToolRequestSchema, async (request) => this.callTool(request.params.name, request.params.arguments));
    this.servers.add(server);
    server.onclose = () => {
      this.servers.delete(server);
    };
    return server;
  }
}

function withMeta(result: CallToolResult, remit: Record<string, unknown>): CallToolResult {
  return { ...result, _meta: { ...(result._meta ?? {}), remit } };
}
