/**
 * The one HTTP path of the SDK: JSON in and out, typed problems, and retries that
 * are safe because every mutating call carries one `Idempotency-Key` for all its
 * attempts (the service replays the first result; nothing is charged twice).
 * Only `fetch`, `crypto.randomUUID` and timers: runs in Node, browsers and Workers.
 */
import { errorFromProblem, RemitNetworkError, parseRetryAfter, type ProblemDocument } from "./errors";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** The service's origin, e.g. `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** A `fetch` to use instead of the global one (tests, proxies, instrumentation). */
  fetch?: FetchLike;
  /** Retries after the first attempt, for network errors, 5xx, 429 and 409 in-flight. Default 3; 0 turns retrying off. */
  maxRetries?: number;
  /** First backoff step; doubled each retry, with jitter. Default 200 ms. */
  retryBaseDelayMs?: number;
  /** No single wait is longer; a `Retry-After` longer than this is not waited for (the error is thrown). Default 10 s. */
  maxRetryDelayMs?: number;
  /** Per attempt. Default 30 s. */
  timeoutMs?: number;
  /** Called before each retry (logging, metrics). */
  onRetry?: (info: RetryInfo) => void;
  /** Sent as `User-Agent` where the runtime allows it. */
  userAgent?: string;
  /**
   * Decimals of assets beyond ISO 4217 (`{ USDC: 6 }`), for amounts written in major
   * units (`"12.50USDC"`); the service publishes its table at `GET /v1/assets`.
   */
  assetDecimals?: Readonly<Record<string, number>>;
}

export interface RetryInfo {
  method: string;
  path: string;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  /** The status that caused the retry, or the network error. */
  status?: number;
  error?: unknown;
  idempotencyKey?: string;
}

export interface CallOptions {
  /** Use this key instead of a fresh one (to make a call exactly-once across restarts of the caller). */
  idempotencyKey?: string;
  /** Aborts the call, retries included. */
  signal?: AbortSignal;
}

export interface RequestSpec extends CallOptions {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON body; serialized once, so every attempt sends the same bytes. */
  body?: unknown;
  /** Mutating call: send an `Idempotency-Key`, the same on every attempt. */
  idempotent?: boolean;
  /** A call the service cannot deduplicate: never retried once it may have been sent. */
  once?: boolean;
  /** Headers for one attempt (a DPoP proof is good once: agents sign a new one here each time). */
  auth?: (method: string, url: string) => Record<string, string>;
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

export const DEFAULTS = {
  maxRetries: 3,
  retryBaseDelayMs: 200,
  maxRetryDelayMs: 10_000,
  timeoutMs: 30_000,
} as const;

export class HttpClient {
  readonly baseUrl: string;
  private readonly fetchImpl: FetchLike;
  private readonly options: Required<Pick<ClientOptions, "maxRetries" | "retryBaseDelayMs" | "maxRetryDelayMs" | "timeoutMs">> &
    Pick<ClientOptions, "onRetry" | "userAgent">;

  constructor(options: ClientOptions) {
    if (!options.baseUrl) throw new TypeError("baseUrl is required");
    const base = new URL(options.baseUrl);
    this.baseUrl = `${base.protocol}//${base.host}${base.pathname.replace(/\/+$/, "")}`;
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.options = {
      maxRetries: Math.max(0, Math.floor(options.maxRetries ?? DEFAULTS.maxRetries)),
      retryBaseDelayMs: options.retryBaseDelayMs ?? DEFAULTS.retryBaseDelayMs,
      maxRetryDelayMs: options.maxRetryDelayMs ?? DEFAULTS.maxRetryDelayMs,
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    };
  }

  url(path: string, query?: RequestSpec["query"]): string {
    const u = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  async request<T>(spec: RequestSpec): Promise<T> {
    const url = this.url(spec.path, spec.query);
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const idempotencyKey = spec.idempotent ? (spec.idempotencyKey ?? crypto.randomUUID()) : undefined;
    const maxRetries = spec.once ? 0 : this.options.maxRetries;

    for (let attempt = 0; ; attempt++) {
      spec.signal?.throwIfAborted();
      const headers: Record<string, string> = { accept: "application/json, application/problem+json" };
      if (body !== undefined) headers["content-type"] = "application/json";
      if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
      if (this.options.userAgent) headers["user-agent"] = this.options.userAgent;
      Object.assign(headers, spec.auth?.(spec.method, url) ?? {});

      let response: Response;
      let text: string;
      try {
        const timeout = AbortSignal.timeout(this.options.timeoutMs);
        const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
        response = await this.fetchImpl(url, { method: spec.method, headers, ...(body !== undefined ? { body } : {}), signal });
        text = await response.text();
      } catch (error) {
        if (spec.signal?.aborted) throw spec.signal.reason ?? error;
        if (attempt >= maxRetries) throw new RemitNetworkError(`${spec.method} ${url}: ${describe(error)}`, { cause: error, attempts: attempt + 1 });
        await this.pause(spec, attempt, this.backoff(attempt), { error, ...(idempotencyKey ? { idempotencyKey } : {}) });
        continue;
      }

      if (response.ok) return parseBody<T>(text, response);

      const problem = toProblem(text, response);
      const retryable = RETRY_STATUSES.has(response.status) || (response.status === 409 && problem.type.endsWith("/idempotency-in-flight"));
      if (retryable && attempt < maxRetries) {
        const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
        const wait = retryAfter === undefined ? this.backoff(attempt) : Math.max(retryAfter * 1000, this.backoff(attempt));
        // Waiting less than the service asked for would only be refused again.
        if (wait <= this.options.maxRetryDelayMs) {
          await this.pause(spec, attempt, wait, { status: response.status, ...(idempotencyKey ? { idempotencyKey } : {}) });
          continue;
        }
      }
      throw errorFromProblem(problem, response.headers);
    }
  }

  /**
   * One GET whose body is read as it comes (a server-sent event stream): no retry here
   * (the caller resumes), the timeout covers the wait for the headers only. A refusal
   * is thrown as its typed problem; a network failure as `RemitNetworkError`.
   */
  async open(spec: Pick<RequestSpec, "path" | "query" | "signal" | "auth"> & { headers?: Record<string, string> }): Promise<Response> {
    const url = this.url(spec.path, spec.query);
    const headers: Record<string, string> = { accept: "text/event-stream, application/problem+json", ...(spec.headers ?? {}) };
    if (this.options.userAgent) headers["user-agent"] = this.options.userAgent;
    Object.assign(headers, spec.auth?.("GET", url) ?? {});
    const controller = new AbortController();
    const onAbort = () => controller.abort(spec.signal?.reason);
    spec.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new Error(`no answer in ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method: "GET", headers, signal: controller.signal });
    } catch (error) {
      spec.signal?.removeEventListener("abort", onAbort);
      if (spec.signal?.aborted) throw spec.signal.reason ?? error;
      throw new RemitNetworkError(`GET ${url}: ${describe(error)}`, { cause: error, attempts: 1 });
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      spec.signal?.removeEventListener("abort", onAbort);
      throw errorFromProblem(toProblem(await response.text(), response), response.headers);
    }
    return response;
  }

  /** Exponential backoff with equal jitter: between half and all of base·2^attempt, capped. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(this.options.maxRetryDelayMs, this.options.retryBaseDelayMs * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private async pause(spec: RequestSpec, attempt: number, delayMs: number, info: Partial<RetryInfo>): Promise<void> {
    this.options.onRetry?.({ method: spec.method, path: spec.path, attempt: attempt + 1, delayMs, ...info });
    await sleep(delayMs, spec.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const why = cause instanceof Error ? ` (${cause.message})` : "";
    return `${error.message}${why}`;
  }
  return String(error);
}

function parseBody<T>(text: string, response: Response): T {
  if (text === "") return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw errorFromProblem(
      {
        type: "about:blank",
        title: "The response is not JSON",
        status: response.status,
        detail: `expected JSON, got ${JSON.stringify(text.slice(0, 120))}`,
      },
      response.headers,
    );
  }
}

/** The response's problem document; a non-problem error body becomes one (type about:blank). */
function toProblem(text: string, response: Response): ProblemDocument {
  try {
    const doc = JSON.parse(text) as Partial<ProblemDocument>;
    if (doc && typeof doc === "object" && typeof doc.type === "string" && typeof doc.title === "string")
      return { ...doc, status: typeof doc.status === "number" ? doc.status : response.status, detail: doc.detail ?? "" } as ProblemDocument;
  } catch {
    // not JSON
  }
  return {
    type: "about:blank",
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: text.slice(0, 500),
  };
}
