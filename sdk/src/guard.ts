/**
 * Guards for agent frameworks: a tool's `execute` runs only inside an authorization.
 *
 *   free call    authorize(scope, { requestDigest }) → execute
 *   priced call  hold(scope, amount) → execute → capture (success) | void (failure, rethrown)
 *
 * The request digest is `toolCallDigest(name, input)`. Nothing here imports a
 * framework: a tool is anything with an `execute(input, ...rest)` (the Vercel AI SDK's
 * `tool()`, the OpenAI Agents SDK's `tool()` options), and `execute` keeps its type.
 */
import type { RemitAgent } from "./agent";
import { amountString, type Amount } from "./common";
import { toolCallDigest } from "./digest";
import { isRemitError, ValidationFailedError, type RemitError } from "./errors";
import type { Hold, SignedReceipt } from "./types";

// biome-ignore lint/suspicious/noExplicitAny: a tool's execute takes whatever its framework passes
type Execute = (input: any, ...rest: any[]) => unknown;
type Input<F extends Execute> = Parameters<F>[0];
type Output<F extends Execute> = Awaited<ReturnType<F>>;

/** One guarded call, as `onReceipt` sees it. */
export interface GuardedCall {
  /** The tool's name (the digest's `tool`). */
  name: string;
  /** The arguments the tool ran with (the digest's `arguments`). */
  arguments: unknown;
  /** `toolCallDigest(name, arguments)`. */
  digest: string;
  scope: string;
  /** What was held and captured, for a priced call. */
  amount?: Amount;
  /** The hold, for a priced call. */
  hold?: Hold;
}

/** What a refused call returns to the model with `onRefusal: "result"`. */
export type RefusalResult = string;

export interface GuardOptions<I = unknown, O = unknown> {
  agent: RemitAgent;
  /** The scope each call is authorized for, or a function of the call's input. */
  scope: string | ((input: I) => string);
  /** The tool's name, for the digest; required unless the tool object has a string `name`. */
  name?: string;
  /** A fixed price per call (integer minor units): the call is held, then captured or voided. */
  price?: Amount;
  /** Or a dotted path into the input (`"order.amount"`) holding the amount in minor units… */
  amountFrom?: string;
  /** …of this asset. */
  asset?: string;
  /** Seconds a priced call's hold lives at most (default: the service's, 900). */
  holdExpiresIn?: number;
  /**
   * The receipt of each call that ran: the authorization's (free call) or the
   * capture's (priced call). Awaited before the result is returned; its error propagates.
   */
  onReceipt?: (receipt: SignedReceipt, call: GuardedCall) => void | Promise<void>;
  /**
   * A refused call (by the service, or a missing or malformed `amountFrom` amount):
   * `"throw"` (default) the typed error; `"result"` return a short text for the model
   * (`Remit refused this call (budget-exceeded): …`); a function: return its value.
   */
  onRefusal?: "throw" | "result" | ((error: RemitError, input: I) => O | Promise<O>);
}

type ThrowingOptions<I, O> = GuardOptions<I, O> & { onRefusal?: "throw" | ((error: RemitError, input: I) => O | Promise<O>) };
type ResultOptions<I, O> = GuardOptions<I, O> & { onRefusal: "result" };

/**
 * Wraps an `execute` function (for inline use, e.g. in the OpenAI Agents SDK's
 * `tool({ name, parameters, execute: guardExecute(fn, { agent, scope, name }) })`,
 * where the framework types `fn`'s input). `name` is required.
 */
export function guardExecute<F extends Execute>(execute: F, options: ThrowingOptions<Input<F>, Output<F>> & { name: string }): F;
export function guardExecute<F extends Execute>(
  execute: F,
  options: ResultOptions<Input<F>, Output<F>> & { name: string },
): (...args: Parameters<F>) => Promise<Output<F> | RefusalResult>;
export function guardExecute<F extends Execute>(execute: F, options: GuardOptions<Input<F>, Output<F>> & { name: string }): F {
  return wrap(execute, options, options.name) as F;
}

type ExecuteOf<T> = T extends { execute?: infer E } ? Extract<E, Execute> : never;
type NameOption<T> = T extends { name: string } ? { name?: string } : { name: string };
type WithRefusal<T> = Omit<T, "execute"> & {
  execute: (...args: Parameters<ExecuteOf<T>>) => Promise<Output<ExecuteOf<T>> | RefusalResult>;
};

/**
 * Guards a tool: any object with `execute(input, …)` — the Vercel AI SDK's `tool()`
 * (give `name`: its tools are named by the key they are registered under) or the
 * OpenAI Agents SDK's `tool()` options (their `name` is used). Returns a copy whose
 * `execute` runs inside an authorization; everything else, and the types, unchanged.
 */
export function guardTool<T extends { execute?: Execute }>(tool: T, options: ThrowingOptions<Input<ExecuteOf<T>>, Output<ExecuteOf<T>>> & NameOption<T>): T;
export function guardTool<T extends { execute?: Execute }>(tool: T, options: ResultOptions<Input<ExecuteOf<T>>, Output<ExecuteOf<T>>> & NameOption<T>): WithRefusal<T>;
export function guardTool<T extends { execute?: Execute }>(tool: T, options: GuardOptions<Input<ExecuteOf<T>>, Output<ExecuteOf<T>>>): T {
  const execute = tool?.execute;
  if (typeof execute !== "function") throw new TypeError("guardTool: the tool has no execute function (a provider-executed tool cannot be guarded here)");
  const own = (tool as { name?: unknown }).name;
  const name = options.name ?? (typeof own === "string" ? own : undefined);
  if (!name) throw new TypeError("guardTool: give options.name (the tool's name, for the request digest)");
  return { ...tool, execute: wrap(execute, options, name) };
}

function wrap(execute: Execute, options: GuardOptions<never, unknown>, name: string): Execute {
  const { agent } = options;
  if (!agent || typeof agent.authorize !== "function") throw new TypeError("guard: options.agent (a RemitAgent) is required");
  if (options.price && options.amountFrom) throw new TypeError("guard: give price or amountFrom, not both");
  if (options.amountFrom !== undefined && !options.asset) throw new TypeError("guard: amountFrom needs asset");
  if (options.price) amountString(options.price.value);

  return async function guarded(this: unknown, input: unknown, ...rest: unknown[]) {
    let call: GuardedCall;
    let hold: Hold | undefined;
    let receipt: SignedReceipt | undefined;
    try {
      const scope = typeof options.scope === "function" ? (options.scope as (i: unknown) => string)(input) : options.scope;
      const digest = await toolCallDigest(name, input);
      const amount = options.price ?? (options.amountFrom !== undefined ? amountAt(input, options.amountFrom, options.asset!, agent.baseUrl) : undefined);
      call = { name, arguments: input, digest, scope, ...(amount ? { amount } : {}) };
      if (amount) {
        hold = await agent.hold(scope, amount, { requestDigest: digest, ...(options.holdExpiresIn !== undefined ? { expiresIn: options.holdExpiresIn } : {}) });
        call.hold = hold;
      } else {
        receipt = (await agent.authorize(scope, { requestDigest: digest })).receipt as SignedReceipt;
      }
    } catch (err) {
      if (!isRemitError(err) || !options.onRefusal || options.onRefusal === "throw") throw err;
      if (options.onRefusal === "result") return refusalText(err);
      return (options.onRefusal as (e: RemitError, i: unknown) => unknown)(err, input);
    }

    let result: unknown;
    try {
      result = await execute.call(this, input, ...rest);
      if (isAsyncIterable(result)) throw new TypeError("guard: a streaming (AsyncIterable) tool result cannot be guarded");
    } catch (err) {
      if (hold) await agent.void(hold.id).catch(() => undefined); // else the hold expires by itself
      throw err;
    }
    if (hold) receipt = (await agent.capture(hold.id)).receipt as SignedReceipt;
    if (options.onReceipt && receipt) await options.onReceipt(receipt, call);
    return result;
  };
}

/** The text a model sees for a refusal with `onRefusal: "result"`. */
export function refusalText(error: RemitError): string {
  return `Remit refused this call (${error.code || error.status}): ${error.detail || error.title}`;
}

/** The amount at `path` in the input: a positive integer of minor units (number, decimal string or bigint). */
function amountAt(input: unknown, path: string, asset: string, baseUrl: string): Amount {
  let value: unknown = input;
  for (const key of path.split(".")) {
    value = typeof value === "object" && value !== null && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  }
  const ok =
    (typeof value === "number" && Number.isSafeInteger(value) && value > 0) ||
    (typeof value === "bigint" && value > 0n) ||
    (typeof value === "string" && /^[1-9][0-9]*$/.test(value));
  if (!ok) {
    const detail = value === undefined ? `the tool's input has no amount at "${path}"` : `the amount at "${path}" is not a positive integer of minor units`;
    throw new ValidationFailedError({
      type: `${baseUrl}/problems/validation-failed`,
      title: "Validation failed",
      status: 400,
      detail,
      errors: [{ field: path, rule: value === undefined ? "required" : "amount", message: detail }],
      local: true,
    });
  }
  return { asset, value: value as Amount["value"] };
}

function isAsyncIterable(value: unknown): boolean {
  return typeof value === "object" && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}
