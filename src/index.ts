import { createApp } from "./app";
import type { Env } from "./contract/env";
import { settlementStub } from "./contract/stubs";
import { handleWebhookBatch, isWebhookQueue } from "./webhooks/consumer";

export { SessionTree } from "../durable-objects/session-tree";
export { Principal } from "../durable-objects/principal";
export { Ledger } from "../durable-objects/ledger";
export { Settlement } from "../durable-objects/settlement";

const app = createApp();

export default {
  fetch: app.fetch,
  /** The settlement cron ([triggers] in wrangler.toml): anchor what the ledger shards sealed since the last anchor. */
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(settlementStub(env).run({ trigger: "cron" }));
  },
  async queue(batch, env) {
    if (isWebhookQueue(batch.queue)) return handleWebhookBatch(batch, env);
    throw new Error(`no consumer for queue ${batch.queue}`);
  },
} satisfies ExportedHandler<Env>;
