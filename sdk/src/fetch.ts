/**
 * `remitFetch`: a `fetch` that sends a request only once Remit has authorized it.
 *
 *   scope    http:<METHOD>:<host><path> — upper-case method, the URL's lower-case host
 *            (with its port, if any), its path as the WHATWG URL parser resolves it
 *            (dot segments gone), no query; `scopeFor` overrides
 *   digest   httpRequestDigest({ method, url, body }) (see digest.ts), on a free call
 *   free     authorize(scope, { requestDigest }) → send
 *   priced   `priceFor(request)` gives an amount: hold → send →
 *              capture  when the response status is below 400 (2xx, 3xx),
 *              void     on a network error, an abort, or a 4xx/5xx response;
 *            `settle` overrides the rule for responses.
 * A refused authorization throws the typed error and nothing is sent. Redirects are
 * not followed (`redirect: "manual"`): each hop is a request of its own, to authorize
 * by calling again.
 */
import type { RemitAgent } from "./agent";
import type { Amount } from "./common";
import { httpRequestDigest } from "./digest";
import type { FetchLike } from "./http";
import type { Hold, SignedReceipt } from "./types";

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** One authorized request, as `onReceipt` sees it. */
export interface FetchedCall {
  request: Request;
  scope: string;
  /** The request digest (recorded in the receipt on a free call). */
  digest: string;
  amount?: Amount;
  hold?: Hold;
  /** The response, when one came (absent on a network error). */
  response?: Response;
}

export interface RemitFetchOptions {
  /** The scope to authorize for a request (default: `httpScope(request)`). */
  scopeFor?: (request: Request) => string;
  /** The price of a request, when it has one (integer minor units); null/undefined: a free call. */
  priceFor?: (request: Request) => Amount | null | undefined | Promise<Amount | null | undefined>;
  /** Whether a priced request's response is paid for (default: `status < 400`). */
  settle?: (response: Response) => "capture" | "void";
  /** Seconds a priced request's hold lives at most. */
  holdExpiresIn?: number;
  /** The receipt of each request: the authorization's (free) or the capture's or void's (priced). */
  onReceipt?: (receipt: SignedReceipt, call: FetchedCall) => void | Promise<void>;
  /** The fetch that sends the request (default: globalThis.fetch). */
  fetch?: FetchLike | Fetch;
}

/** The default scope of a request: `http:<METHOD>:<host><path>` in canonical form. */
export function httpScope(request: Request | { method: string; url: string }): string {
  const url = new URL(request.url);
  return `http:${request.method.toUpperCase()}:${url.host.toLowerCase()}${url.pathname}`;
}

/** A `fetch`-compatible function that authorizes every request with `agent` before sending it. */
export function remitFetch(agent: RemitAgent, options: RemitFetchOptions = {}): Fetch {
  const send = (options.fetch ?? ((input: Request) => globalThis.fetch(input))) as Fetch;
  const settle = options.settle ?? ((r: Response) => (r.status < 400 ? "capture" : "void"));
  return async (input, init) => {
    const request = new Request(input, { ...init, redirect: "manual" });
    const scope = (options.scopeFor ?? httpScope)(request);
    const body = request.body === null ? null : new Uint8Array(await request.clone().arrayBuffer());
    const digest = await httpRequestDigest({ method: request.method, url: request.url, body });
    const amount = (await options.priceFor?.(request)) ?? undefined;
    const call: FetchedCall = { request, scope, digest, ...(amount ? { amount } : {}) };

    if (!amount) {
      const { receipt } = await agent.authorize(scope, { requestDigest: digest });
      const response = await send(request);
      await options.onReceipt?.(receipt as SignedReceipt, { ...call, response });
      return response;
    }

    const hold = await agent.hold(scope, amount, { requestDigest: digest, ...(options.holdExpiresIn !== undefined ? { expiresIn: options.holdExpiresIn } : {}) });
    call.hold = hold;
    let response: Response;
    try {
      response = await send(request);
    } catch (err) {
      const voided = await agent.void(hold.id).catch(() => undefined); // else the hold expires by itself
      if (voided) await options.onReceipt?.(voided.receipt as SignedReceipt, call);
      throw err;
    }
    const settled = settle(response) === "capture" ? await agent.capture(hold.id) : await agent.void(hold.id);
    await options.onReceipt?.(settled.receipt as SignedReceipt, { ...call, response });
    return response;
  };
}
