/**
 * One delivery attempt: POST the event as JSON with the Standard Webhooks headers.
 * A 2xx answer is success; any other status, a redirect (never followed: a redirect
 * could point anywhere, including private addresses), a network error or a timeout
 * is failure. The caller decides about retries (see `schedule.ts`).
 */
import type { EventEnvelope } from "../core/webhooks/events";
import { EXCERPT_MAX_BYTES, truncateUtf8, utf8Prefix } from "../core/webhooks/excerpt";
import { signHeaders } from "../core/webhooks/sign";

export const USER_AGENT = "Remit-Webhooks/1";
export const DEFAULT_TIMEOUT_MS = 10_000;

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface DeliverOptions {
  url: string;
  /** Signing secrets valid now, current first (see `WebhookStore.signingSecrets`). */
  secrets: string | readonly string[];
  event: EventEnvelope;
  /** `webhook-id`: the same for every attempt of one delivery. */
  msgId: string;
  /** Epoch ms; its whole seconds become `webhook-timestamp`. */
  now: number;
  /** Covers the whole attempt, response excerpt included. */
  timeoutMs?: number;
  fetcher?: FetchLike;
}

export interface DeliveryResult {
  ok: boolean;
  status_code: number | null;
  latency_ms: number;
  /** At most 1 KiB (UTF-8) of the response body. */
  response_excerpt: string;
  error: string | null;
}

class Timeout extends Error {}

export async function deliverOnce(options: DeliverOptions): Promise<DeliveryResult> {
  const { url, secrets, event, msgId, now, timeoutMs = DEFAULT_TIMEOUT_MS, fetcher = (u, i) => fetch(u, i) } = options;
  const body = JSON.stringify(event);
  let signed;
  try {
    signed = await signHeaders(secrets, msgId, Math.floor(now / 1000), body);
  } catch (e) {
    return { ok: false, status_code: null, latency_ms: 0, response_excerpt: "", error: `cannot sign: ${message(e)}` };
  }

  const controller = new AbortController();
  let expire: (e: Timeout) => void = () => {};
  const deadline = new Promise<never>((_, reject) => (expire = reject));
  const timer = setTimeout(() => {
    expire(new Timeout());
    controller.abort();
  }, timeoutMs);
  deadline.catch(() => {}); // observed below, or not at all once the attempt is over

  const started = Date.now();
  try {
    const response = await Promise.race([
      fetcher(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": USER_AGENT, ...signed },
        body,
        redirect: "manual",
        signal: controller.signal,
      }),
      deadline,
    ]);
    const latency_ms = Date.now() - started;
    const response_excerpt = await readExcerpt(response, deadline);
    const status = response.status;
    const redirected = status >= 300 && status < 400;
    const location = response.headers.get("location");
    return {
      ok: status >= 200 && status < 300,
      status_code: status,
      latency_ms,
      response_excerpt,
      error: redirected ? truncateUtf8(`redirect not followed${location ? ` (location: ${location})` : ""}`) : null,
    };
  } catch (e) {
    const error = e instanceof Timeout ? `timed out after ${timeoutMs} ms` : `network error: ${message(e)}`;
    return { ok: false, status_code: null, latency_ms: Date.now() - started, response_excerpt: "", error: truncateUtf8(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** The first KiB of the body; whatever arrived if the deadline passes first. Never throws. */
async function readExcerpt(response: Response, deadline: Promise<never>): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_MAX_BYTES) {
      const { done, value } = await Promise.race([reader.read(), deadline]);
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // timed out or the stream failed: keep what arrived
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return utf8Prefix(bytes, EXCERPT_MAX_BYTES);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
