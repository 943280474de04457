/**
 * Serving an MCP server (a fresh `Server` per client connection) over stdio, or over
 * Streamable HTTP at `/mcp` on 127.0.0.1 by default.
 */
import { randomUUID } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";

export async function serveStdio(make: () => Server): Promise<Server> {
  const server = make();
  await server.connect(new StdioServerTransport());
  return server;
}

export interface HttpServing {
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
const MAX_BODY = 4 * 1024 * 1024;

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error("request body too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined);
      } catch (err) {
        reject(err);
      }
    });
    req.on("error", reject);
  });
}

/** Streamable HTTP, one MCP session (and one `Server`) per initialize. */
export async function serveHttp(make: () => Server, port: number, host = "127.0.0.1"): Promise<HttpServing> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const loopback = LOOPBACK.has(host);
  const http: HttpServer = createHttpServer(async (req, res) => {
    const fail = (status: number, message: string) => {
      if (res.headersSent) return res.end();
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
    };
    try {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (path !== "/mcp") return fail(404, "the MCP endpoint is /mcp");
      const sid = req.headers["mcp-session-id"];
      const existing = typeof sid === "string" ? sessions.get(sid) : undefined;
      if (req.method === "POST") {
        const body = await readJson(req);
        if (existing) return await existing.handleRequest(req, res, body);
        if (sid !== undefined) return fail(404, "unknown MCP session; initialize again");
        if (!isInitializeRequest(body)) return fail(400, "no MCP session: send initialize first");
        const actualPort = (http.address() as { port: number }).port;
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            sessions.set(id, transport);
          },
          // A loopback gateway answers only to loopback Host names (DNS rebinding).
          ...(loopback ? { enableDnsRebindingProtection: true, allowedHosts: [`127.0.0.1:${actualPort}`, `localhost:${actualPort}`, `[::1]:${actualPort}`] } : {}),
        });
        transport.onclose = () => {
          if (transport.sessionId) sessions.delete(transport.sessionId);
        };
        await make().connect(transport);
        return await transport.handleRequest(req, res, body);
      }
      if (req.method === "GET" || req.method === "DELETE") {
        if (!existing) return fail(404, "unknown MCP session");
        return await existing.handleRequest(req, res);
      }
      res.writeHead(405, { allow: "GET, POST, DELETE" }).end();
    } catch (err) {
      fail(400, err instanceof Error ? err.message : String(err));
    }
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, () => resolve());
  });
  const actual = (http.address() as { port: number }).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${actual}/mcp`,
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close().catch(() => {})));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
