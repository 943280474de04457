/**
 * Typed face of scripts/dev-stack.mjs for the Node end-to-end tests: the real
 * worker under `wrangler dev` (and anvil when asked), one per test file.
 *
 *   const stack = useStack({ withChain: false });   // beforeAll starts, afterAll stops
 *   it("…", async () => { const p = await stack().createPrincipal(); … });
 */
import { afterAll, beforeAll } from "vitest";
// @ts-expect-error TS7016: plain JavaScript without declarations (allowJs is off); typed below.
import * as impl from "../../scripts/dev-stack.mjs";

export interface StackOptions {
  /** Default: a free port. */
  port?: number;
  /** Keep worker state (and the chain) in this directory; default: a temporary one, removed at stop. */
  persistDir?: string;
  /** anvil + RemitAnchor and the ANCHOR_* vars. Default false here (true in startStack itself). */
  withChain?: boolean;
  /** Show wrangler's output as it comes. Default: only when the stack fails to start. */
  verbose?: boolean;
  /** More worker vars (`--var`). */
  vars?: Record<string, string>;
  /**
   * The worker's secrets file instead of `.dev.vars` (wrangler lets that file override
   * `--var`, so secrets such as REMIT_SIGNING_KEY a test chooses go here). Missing
   * development secrets (the admin token …) are added to it.
   */
  devVarsPath?: string;
  timeoutMs?: number;
}

export interface ChainInfo {
  rpcUrl: string;
  contract: `0x${string}`;
  chainId: number;
  privateKey: `0x${string}`;
}

export interface Stack {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** REMIT_ADMIN_TOKEN from .dev.vars. */
  adminToken: string;
  chain: ChainInfo | null;
  /** The last lines wrangler (and anvil) printed. */
  output: string[];
  /** Runs the worker's scheduled() handler once (the settlement cron), as a cron trigger would. */
  runScheduled(cron?: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

export interface TestStack extends Stack {
  /** A new principal through the operator call; its first API key. */
  createPrincipal(name?: string, maxSessionSeconds?: number): Promise<{ id: string; apiKey: string }>;
}

const startImpl: (options: Record<string, unknown>) => Promise<Stack> = impl.startStack;

/** A free TCP port on 127.0.0.1. */
export const freePort: () => Promise<number> = impl.freePort;

export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const stack = await startImpl({
    ...(options.port ? { port: options.port } : {}),
    ...(options.persistDir ? { persistDir: options.persistDir } : { ephemeral: true }),
    withChain: options.withChain ?? false,
    quiet: !options.verbose,
    ...(options.vars ? { vars: options.vars } : {}),
    ...(options.devVarsPath ? { devVarsPath: options.devVarsPath } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  return {
    ...stack,
    stop: () => stack.stop(),
    runScheduled: (cron?: string) => stack.runScheduled(cron),
    async createPrincipal(name = "Acme", maxSessionSeconds?: number) {
      const res = await fetch(`${stack.url}/v1/principals`, {
        method: "POST",
        headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name, ...(maxSessionSeconds ? { max_session_seconds: maxSessionSeconds } : {}) }),
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`createPrincipal: ${res.status} ${text}`);
      const body = JSON.parse(text) as { principal: { id: string }; api_key: string };
      return { id: body.principal.id, apiKey: body.api_key };
    },
  };
}

/**
 * One stack for the whole test file: started in beforeAll, stopped in afterAll.
 * Returns a getter (the stack exists only once beforeAll has run).
 */
export function useStack(options: StackOptions = {}): () => TestStack {
  let stack: TestStack | null = null;
  beforeAll(async () => {
    stack = await startStack(options);
  }, options.timeoutMs ?? 180_000);
  afterAll(async () => {
    await stack?.stop();
  }, 60_000);
  return () => {
    if (!stack) throw new Error("the stack is not started (use it inside tests, after beforeAll)");
    return stack;
  };
}
