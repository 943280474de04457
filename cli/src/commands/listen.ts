/**
 * `remit listen --forward-to <url>`: the principal's live events (GET /v1/events/stream)
 * forwarded to a local URL, each signed with Standard Webhooks as a real delivery is,
 * with a signing secret of this run (or `--secret`), so a webhook handler can be built
 * and tested on a laptop without a public endpoint. One line per event; a dropped
 * connection resumes after the last event received (Last-Event-ID), so none is missed.
 */
import type { Command } from "commander";
import type { EventType, RemitEvent } from "@remit/sdk";
import { Webhook } from "standardwebhooks";
import { globals, principalFrom, VERSION } from "../globals";
import { proc } from "../node";
import { UsageError } from "../parse";

interface ListenOptions {
  forwardTo: string;
  events?: string;
  secret?: string;
  timeout: string;
}

/** A fresh Standard Webhooks secret: `whsec_` and 24 random bytes in base64. */
export function newSigningSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

function forwardUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--forward-to "${text}" is not a URL (e.g. http://127.0.0.1:3000/webhooks)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--forward-to "${text}": only http and https URLs`);
  return url.toString();
}

function signer(secret: string): Webhook {
  try {
    return new Webhook(secret);
  } catch {
    throw new UsageError("--secret must be a Standard Webhooks secret: whsec_ then base64 (omit it for one generated per run)");
  }
}

/** Sends one event; the status, or why there is none. */
async function forward(webhook: Webhook, url: string, event: RemitEvent, timeoutMs: number): Promise<{ status: number | null; error: string | null }> {
  const body = JSON.stringify(event);
  const now = new Date();
  try {
    const res = await fetch(url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        "content-type": "application/json",
        "user-agent": `remit-cli/${VERSION} (listen)`,
        "webhook-id": event.id,
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": webhook.sign(event.id, now, body),
      },
      body,
    });
    await res.body?.cancel();
    return { status: res.status, error: null };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { status: null, error: cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err)) };
  }
}

export function registerListen(program: Command): void {
  program
    .command("listen")
    .description("forward the principal's live events to a local URL, signed with Standard Webhooks (for developing a webhook handler)")
    .requiredOption("--forward-to <url>", "where to POST each event, e.g. http://127.0.0.1:3000/webhooks")
    .option("--events <types>", "only these event types, comma-separated (e.g. session.granted,session.revoked); default: all")
    .option("--secret <whsec>", "sign with this secret instead of one generated for this run")
    .option("--timeout <ms>", "how long to wait for the local URL's answer", "10000")
    .addHelpText(
      "after",
      `
Each event is POSTed as a webhook delivery would be: the event JSON as the body, and
webhook-id, webhook-timestamp and webhook-signature headers. Verify them with the
signing secret printed at start (any Standard Webhooks library does it). One line per
event: time, type, event id, and the local URL's status. Only events from now on are
sent; a dropped connection resumes after the last event received. Ctrl-C stops.

  remit listen --forward-to http://127.0.0.1:3000/webhooks --events session.revoked,budget.threshold
`,
    )
    .action(async (o: ListenOptions, cmd: Command) => {
      const g = globals(cmd);
      const json = !!g.json;
      const url = forwardUrl(o.forwardTo);
      const secret = o.secret ?? newSigningSecret();
      const webhook = signer(secret);
      const timeoutMs = Number(o.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout "${o.timeout}": a positive number of milliseconds`);
      const types = (o.events ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "") as EventType[];
      const principal = await principalFrom(g);
      const say = (text: string) => proc.stderr.write(`${text}\n`);

      let ready = false;
      const stream = principal.events.stream({
        ...(types.length > 0 ? { types } : {}),
        onOpen: ({ lastEventId }) => {
          if (!ready) {
            ready = true;
            if (json) proc.stdout.write(`${JSON.stringify({ object: "listen", forward_to: url, events: types.length > 0 ? types : ["*"], secret })}\n`);
            else {
              say(`Ready. Forwarding ${types.length > 0 ? types.join(", ") : "every event"} to ${url}`);
              say(`Signing secret: ${secret} (Standard Webhooks; Ctrl-C to quit)`);
            }
          } else if (!json) say(`reconnected${lastEventId ? `, resuming after ${lastEventId}` : ""}`);
        },
        onReconnect: ({ delayMs, error }) => {
          if (!json) say(`connection lost${error instanceof Error ? ` (${error.message})` : ""}; reconnecting in ${Math.round(delayMs / 100) / 10} s`);
        },
      });
      for await (const event of stream) {
        const r = await forward(webhook, url, event, timeoutMs);
        const at = new Date().toISOString();
        if (json) proc.stdout.write(`${JSON.stringify({ at, type: event.type, id: event.id, status: r.status, error: r.error })}\n`);
        else proc.stdout.write(`${at}  ${event.type.padEnd(20)}  ${event.id}  -> ${r.status ?? `error: ${r.error}`}\n`);
      }
    });
}
