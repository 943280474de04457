/**
 * `remit listen --forward-to`: the real worker under wrangler dev, the `remit` binary as
 * a child process, and a local receiver (node:http) that verifies each forwarded event
 * with the `standardwebhooks` library and the secret the CLI printed.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateAgentKey, RemitPrincipal } from "@remit/sdk";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useRemitCli } from "../support/remit-cli";
import { useStack } from "../support/stack";

const stack = useStack({ withChain: false });
const cli = useRemitCli();

interface Got {
  headers: Record<string, string>;
  body: string;
}

let server: Server;
let receiverUrl = "";
const got: Got[] = [];
/** The status the receiver answers with. */
let answer = 204;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += String(c)));
    req.on("end", () => {
      got.push({ headers: req.headers as Record<string, string>, body });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function until<T>(check: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

const typeOf = (g: Got) => (JSON.parse(g.body) as { type: string }).type;

describe("remit listen", () => {
  it("forwards a grant and its revocation to the local URL, signed with the secret it printed", { timeout: 90_000 }, async () => {
    const p = await stack().createPrincipal("Listener");
    const listen = cli.start(["listen", "--forward-to", receiverUrl, "--url", stack().url, "--api-key", p.apiKey]);
    try {
      const [, secret] = await listen.waitFor(/Signing secret: (whsec_[A-Za-z0-9+/=]+)/);
      expect(listen.stderr).toContain(`Forwarding every event to ${receiverUrl}`);

      const principal = new RemitPrincipal({ baseUrl: stack().url, apiKey: p.apiKey });
      const grant = await principal.grant({ agentKey: generateAgentKey(), scopes: ["http:GET:api.example.com/*"], expiresIn: 3600 });
      await principal.revoke(grant.session.id);

      const mine = () => got.filter((g) => JSON.parse(g.body).principal === p.id);
      const both = await until(() => (mine().length >= 2 ? mine() : null));
      expect(both.map(typeOf)).toEqual(["session.granted", "session.revoked"]);
      const webhook = new Webhook(secret!);
      for (const g of both) {
        const event = webhook.verify(g.body, {
          "webhook-id": g.headers["webhook-id"]!,
          "webhook-timestamp": g.headers["webhook-timestamp"]!,
          "webhook-signature": g.headers["webhook-signature"]!,
        }) as { id: string; data: { session: string } };
        expect(event.data.session).toBe(grant.session.id);
        expect(g.headers["webhook-id"]).toBe(event.id);
        expect(g.headers["content-type"]).toBe("application/json");
      }
      // The same events as the log has, one line each with the local answer.
      const logged = (await principal.events.list()).data;
      expect(logged.map((e) => e.id)).toEqual(both.map((g) => JSON.parse(g.body).id).reverse());
      await listen.waitFor(new RegExp(`session\\.revoked\\s+${logged[0]!.id}\\s+-> 204`));
      expect(listen.stdout).toMatch(new RegExp(`session\\.granted\\s+${logged[1]!.id}\\s+-> 204`));
      // A signature made with another secret does not verify: the printed one is the one used.
      expect(() =>
        new Webhook(`whsec_${btoa("another secret of 24 byt")}`).verify(both[0]!.body, {
          "webhook-id": both[0]!.headers["webhook-id"]!,
          "webhook-timestamp": both[0]!.headers["webhook-timestamp"]!,
          "webhook-signature": both[0]!.headers["webhook-signature"]!,
        }),
      ).toThrow();
    } finally {
      await listen.stop();
    }
  });

  it("forwards only the --events asked for, signs with --secret, and prints the local status", { timeout: 90_000 }, async () => {
    const p = await stack().createPrincipal("Filtered");
    const secret = `whsec_${btoa("0123456789abcdefghijklmn")}`;
    answer = 500;
    const listen = cli.start(["listen", "--forward-to", receiverUrl, "--events", "session.revoked", "--secret", secret, "--url", stack().url, "--api-key", p.apiKey]);
    try {
      await listen.waitFor(/Signing secret: whsec_/);
      expect(listen.stderr).toContain(secret);
      const principal = new RemitPrincipal({ baseUrl: stack().url, apiKey: p.apiKey });
      const grant = await principal.grant({ agentKey: generateAgentKey(), scopes: ["http:GET:api.example.com/*"], expiresIn: 3600 });
      await principal.revoke(grant.session.id);
      const [only] = await until(() => {
        const mine = got.filter((g) => JSON.parse(g.body).principal === p.id);
        return mine.length > 0 ? mine : null;
      });
      expect(typeOf(only!)).toBe("session.revoked");
      new Webhook(secret).verify(only!.body, {
        "webhook-id": only!.headers["webhook-id"]!,
        "webhook-timestamp": only!.headers["webhook-timestamp"]!,
        "webhook-signature": only!.headers["webhook-signature"]!,
      });
      await listen.waitFor(/session\.revoked\s+evt_\w+\s+-> 500/);
      expect(got.filter((g) => JSON.parse(g.body).principal === p.id).map(typeOf)).toEqual(["session.revoked"]);
    } finally {
      answer = 204;
      await listen.stop();
    }
  });

  it("refuses an unknown event type with the allowed ones, exit 2", { timeout: 60_000 }, async () => {
    const p = await stack().createPrincipal("Typo");
    const r = await cli.remit(["listen", "--forward-to", receiverUrl, "--events", "session.grunted", "--url", stack().url, "--api-key", p.apiKey]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("session.grunted");
    expect(r.stderr).toContain("session.granted");
  });

  it("refuses a --forward-to that is not a URL, exit 1", async () => {
    const r = await cli.remit(["listen", "--forward-to", "localhost:3000", "--url", "http://127.0.0.1:1", "--api-key", "rmt_x"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--forward-to");
  });
});

describe("principal.events (SDK)", () => {
  it("stream: a dropped connection resumes with Last-Event-ID, and what happened meanwhile comes once", { timeout: 60_000 }, async () => {
    const p = await stack().createPrincipal("Dropped");
    const asked: (string | null)[] = [];
    // The network between SDK and service: the first stream connection breaks right after its first event.
    const flaky: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).includes("/v1/events/stream")) return res;
      asked.push(new Headers(init?.headers).get("last-event-id"));
      if (asked.length > 1) return res;
      const reader = res.body!.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { value, done } = await reader.read();
          if (done) return controller.close();
          controller.enqueue(value);
          if (new TextDecoder().decode(value).includes("id: evt_")) {
            await reader.cancel();
            controller.error(new TypeError("terminated"));
          }
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const principal = new RemitPrincipal({ baseUrl: stack().url, apiKey: p.apiKey, fetch: flaky });
    const stop = new AbortController();
    const reconnects: unknown[] = [];
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const stream = principal.events.stream({ signal: stop.signal, onOpen: () => opened(), onReconnect: (r) => reconnects.push(r.error) });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const e of stream) {
        seen.push(e.type);
        if (e.type === "principal.frozen") await principal.unfreeze();
        if (seen.length === 2) stop.abort();
      }
    })();
    await open;
    await principal.freeze();
    await reading;
    expect(seen).toEqual(["principal.frozen", "principal.unfrozen"]);
    expect(asked.length).toBe(2);
    expect(asked[0]).toBeNull();
    const [frozen] = (await principal.events.list({ type: "principal.frozen" })).data;
    expect(asked[1]).toBe(frozen!.id);
    expect(reconnects.length).toBe(1);
  });

  it("list, get, pages and all: newest first, across pages", { timeout: 30_000 }, async () => {
    const p = await stack().createPrincipal("Pages");
    const principal = new RemitPrincipal({ baseUrl: stack().url, apiKey: p.apiKey });
    await principal.freeze();
    await principal.unfreeze();
    const page = await principal.events.list({ limit: 1 });
    expect(page.data.map((e) => e.type)).toEqual(["principal.unfrozen"]);
    expect(page.has_more).toBe(true);
    expect(await principal.events.get(page.data[0]!.id)).toEqual(page.data[0]);
    const all: string[] = [];
    for await (const e of principal.events.all({ limit: 1 })) all.push(e.type);
    expect(all).toEqual(["principal.unfrozen", "principal.frozen"]);
    let pages = 0;
    for await (const _ of principal.events.pages({ limit: 1, type: ["principal.frozen"] })) pages++;
    expect(pages).toBe(1);
    expect((await principal.events.list({ createdAfter: new Date(Date.now() + 60_000) })).data).toEqual([]);
  });
});
