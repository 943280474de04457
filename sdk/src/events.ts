/**
 * The principal's events: pages of `GET /v1/events` and the live stream of
 * `GET /v1/events/stream` (server-sent events), resumed after a drop with
 * `Last-Event-ID` so no event is missed or repeated. `RemitPrincipal.events` is the face.
 */
import type { EventEnvelope, EventPage, EventType } from "../../src/contract/wire-types";
import { SseParser } from "../../src/core/sse";
import { errorFromProblem, isRemitError, RemitNetworkError, type ProblemDocument } from "./errors";
import { rfc3339 } from "./common";
import type { CallOptions, HttpClient } from "./http";

export interface EventListOptions extends CallOptions {
  /** Only these types. */
  type?: EventType | EventType[];
  /** Only events created strictly after / before (a Date or an RFC 3339 string). */
  createdAfter?: Date | string;
  createdBefore?: Date | string;
  /** Per page: default 20, at most 100. */
  limit?: number;
  /** The page after this event (the previous page's last id). */
  startingAfter?: string;
}

export interface EventStreamOptions {
  /** Only these types. */
  types?: EventType[];
  /** Resume after this event: everything recorded since comes first. Without it the stream starts at now. */
  lastEventId?: string;
  /** Ends the stream (the generator returns). */
  signal?: AbortSignal;
  /** Each (re)connection, with the event it resumes after. */
  onOpen?: (info: { lastEventId: string | undefined; attempt: number }) => void;
  /** Before each reconnection, with why and how long it waits. */
  onReconnect?: (info: { lastEventId: string | undefined; delayMs: number; error?: unknown }) => void;
  /** A connection silent this long (no event, no heartbeat) is taken for dead and replaced. Default 45 s (three heartbeats). */
  idleTimeoutMs?: number;
  /** The longest wait between reconnections; they back off from 1 s. Default 30 s. */
  maxReconnectDelayMs?: number;
}

const iso = (t: Date | string | undefined) => (t === undefined ? undefined : rfc3339(t));
const typeQuery = (t: EventType | EventType[] | undefined) => (t === undefined ? undefined : Array.isArray(t) ? t.join(",") : t);

export function eventListQuery(o: EventListOptions): Record<string, string | number | undefined> {
  return {
    type: typeQuery(o.type),
    created_after: iso(o.createdAfter),
    created_before: iso(o.createdBefore),
    limit: o.limit,
    starting_after: o.startingAfter,
  };
}

/** Every page from `first`'s options on, following `starting_after`. */
export async function* eventPages(list: (o: EventListOptions) => Promise<EventPage>, options: EventListOptions): AsyncGenerator<EventPage, void, undefined> {
  let startingAfter = options.startingAfter;
  for (;;) {
    const page = await list({ ...options, ...(startingAfter ? { startingAfter } : {}) });
    yield page;
    const last = page.data[page.data.length - 1];
    if (!page.has_more || !last) return;
    startingAfter = last.id;
  }
}

/** The events of each page, in order. */
export async function* eachEvent(pages: AsyncIterable<EventPage>): AsyncGenerator<EventEnvelope, void, undefined> {
  for await (const page of pages) yield* page.data;
}

/** The live stream: yields each event once, reconnecting with `Last-Event-ID` until `signal` aborts or the service refuses. */
export async function* streamEvents(
  http: HttpClient,
  auth: () => Record<string, string>,
  options: EventStreamOptions = {},
): AsyncGenerator<EventEnvelope, void, undefined> {
  let lastEventId = options.lastEventId;
  const idleMs = options.idleTimeoutMs ?? 45_000;
  const maxDelay = options.maxReconnectDelayMs ?? 30_000;
  let retryMs = 1000;
  let failures = 0;
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) return;
    const connection = new AbortController();
    const onAbort = () => connection.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let idle: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(new Error(`no heartbeat in ${idleMs} ms`)), idleMs);
    };
    let error: unknown;
    try {
      const response = await http.open({
        path: "/v1/events/stream",
        query: { type: options.types && options.types.length > 0 ? options.types.join(",") : undefined },
        headers: lastEventId ? { "last-event-id": lastEventId } : {},
        auth,
        signal: connection.signal,
      });
      options.onOpen?.({ lastEventId, attempt });
      failures = 0;
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      const parser = new SseParser();
      watch();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        watch();
        for (const m of parser.push(decoder.decode(value, { stream: true }))) {
          if (m.retry !== undefined) retryMs = m.retry;
          if (m.event === "error") throw errorFromProblem(JSON.parse(m.data) as ProblemDocument);
          if (m.data === "" || m.id === undefined) continue;
          const event = JSON.parse(m.data) as EventEnvelope;
          lastEventId = m.id;
          yield event;
        }
      }
    } catch (e) {
      if (options.signal?.aborted) return;
      // A refusal (a revoked key, a bad filter) ends the stream; overload and outages are waited out.
      if (isRemitError(e) && e.status < 500 && e.status !== 429) throw e;
      if (!isRemitError(e) && !(e instanceof RemitNetworkError) && !connection.signal.aborted && !(e instanceof TypeError)) throw e;
      error = e;
    } finally {
      clearTimeout(idle);
      options.signal?.removeEventListener("abort", onAbort);
      connection.abort();
    }
    if (options.signal?.aborted) return;
    // A clean end (the service closes streams after a while) reconnects at once; failures back off.
    const delayMs = error === undefined ? retryMs : Math.min(maxDelay, 1000 * 2 ** failures++);
    options.onReconnect?.({ lastEventId, delayMs, ...(error !== undefined ? { error } : {}) });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      options.signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}
