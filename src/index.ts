import { createApp } from "./app";
import type { Env } from "./env";

export { SessionTree } from "../durable-objects/session-tree";
export { Principal } from "../durable-objects/principal";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
