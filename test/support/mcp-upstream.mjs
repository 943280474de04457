#!/usr/bin/env node
/**
 * A real MCP server for the gateway's tests and bench (the official SDK's low-level Server):
 *
 *   node test/support/mcp-upstream.mjs                 stdio
 *   node test/support/mcp-upstream.mjs --http 0        Streamable HTTP at /mcp (prints {"url":…} on stdout)
 *
 * Tools: get_forecast (priced in the tests), buy (priced by its order.amount), ping (free),
 * flaky (throws), broken (answers isError), slow (sleeps past the gateway's timeout),
 * drop_table (denied by the config), echo and env (not in the config; env names the
 * REMIT_* variables it was given), add_tool (adds late_tool
 * and sends notifications/tools/list_changed).
 *
 * Side channel: with UPSTREAM_LOG set, every tools/call appends one JSON line
 * ({"tool","arguments"}) to that file, so a test can tell whether a call reached here.
 */
import { appendFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, isInitializeRequest, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const object = (properties = {}, required = []) => ({ type: "object", properties, required });

const TOOLS = [
  { name: "get_forecast", description: "The weather forecast for a city", inputSchema: object({ city: { type: "string" } }, ["city"]) },
  { name: "buy", description: "Buy something; order.amount is its price in cents", inputSchema: object({ item: { type: "string" }, order: object({ amount: {} }) }) },
  { name: "ping", description: "Answers pong", inputSchema: object() },
  { name: "flaky", description: "Always throws", inputSchema: object() },
  { name: "broken", description: "Always answers isError", inputSchema: object() },
  { name: "slow", description: "Sleeps for ms milliseconds", inputSchema: object({ ms: { type: "number" } }) },
  { name: "drop_table", description: "Drops a table", inputSchema: object({ table: { type: "string" } }) },
  { name: "echo", description: "Echoes its arguments", inputSchema: object() },
  { name: "add_tool", description: "Adds late_tool", inputSchema: object() },
  { name: "env", description: "Names this process's REMIT_* environment variables", inputSchema: object() },
];
const LATE = { name: "late_tool", description: "Added at run time", inputSchema: object() };

let late = false;
const servers = new Set();

function record(tool, args) {
  if (process.env.UPSTREAM_LOG) appendFileSync(process.env.UPSTREAM_LOG, `${JSON.stringify({ tool, arguments: args })}\n`);
}

const text = (t) => ({ content: [{ type: "text", text: t }] });

async function call(name, args) {
  record(name, args);
  switch (name) {
    case "get_forecast":
      return { ...text(`Sunny in ${args.city ?? "nowhere"}, 21°C`), structuredContent: { city: args.city ?? null, sky: "sunny", celsius: 21 } };
    case "buy":
      return text(`Bought ${args.item ?? "something"} for ${JSON.stringify(args.order?.amount)}`);
    case "ping":
      return text("pong");
    case "flaky":
      throw new Error("the flaky tool failed on purpose");
    case "broken":
      return { isError: true, content: [{ type: "text", text: "the broken tool reports an error" }] };
    case "slow":
      await new Promise((r) => setTimeout(r, Number(args.ms ?? 5000)));
      return text("slept");
    case "drop_table":
      return text(`dropped ${args.table}`);
    case "echo":
      return text(JSON.stringify(args));
    case "add_tool":
      late = true;
      await Promise.all([...servers].map((s) => s.sendToolListChanged().catch(() => {})));
      return text("late_tool added");
    case "env":
      return text(JSON.stringify(Object.keys(process.env).filter((k) => k.startsWith("REMIT_"))));
    case "late_tool":
      if (late) return text("late and here");
      break;
  }
  throw new Error(`unknown tool ${name}`);
}

function makeServer() {
  const server = new Server({ name: "test-upstream", version: "1.0.0" }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: late ? [...TOOLS, LATE] : TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => call(req.params.name, req.params.arguments ?? {}));
  servers.add(server);
  server.onclose = () => servers.delete(server);
  return server;
}

const httpAt = process.argv.indexOf("--http");
if (httpAt < 0) {
  await makeServer().connect(new StdioServerTransport());
} else {
  const sessions = new Map();
  const http = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
    const sid = req.headers["mcp-session-id"];
    let transport = typeof sid === "string" ? sessions.get(sid) : undefined;
    if (!transport) {
      if (req.method !== "POST" || !isInitializeRequest(body)) {
        res.writeHead(400).end("no session");
        return;
      }
      transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => sessions.set(id, transport) });
      await makeServer().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  });
  http.listen(Number(process.argv[httpAt + 1] ?? 0), "127.0.0.1", () => {
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${http.address().port}/mcp` })}\n`);
  });
  process.on("SIGTERM", () => process.exit(0));
}
