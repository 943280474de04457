import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import @remit/sdk by its name; they run against its sources, not sdk/dist, so
// `npm test` needs no build after `npm install` (as tsconfig.json's "paths" do for tsc and tsx).
const sdkSource = (file: string) => fileURLToPath(new URL(`./sdk/src/${file}`, import.meta.url));
const resolve = {
  alias: [
    { find: /^@remit\/sdk$/, replacement: sdkSource("index.ts") },
    { find: /^@remit\/sdk\/(verify|keys|dpop)$/, replacement: sdkSource("$1.ts") },
  ],
};

// Two projects: everything that can run in workerd does (unit + integration,
// real Durable Objects); end-to-end flows that need anvil, a real local worker
// process, the CLI binary or Node APIs run in Node.
export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            // Test-only secrets: fixed so failures reproduce; never used outside tests.
            miniflare: {
              bindings: {
                REMIT_ADMIN_TOKEN: "test-operator-token",
                REMIT_API_KEY_SECRET: "test-api-key-checksum-secret",
                REMIT_SIGNING_KEY: "fu0qcEqTDoQC4qtS-uOi4j9pDKMgQb-KmQ1YaxdiH1s",
                REMIT_SIGNING_KEY_PREVIOUS: "bYR_UHv5LhCojV7buG8f_MoQuYmWmFJoOMeM4SThdVc",
                REMIT_ENV: "development",
                // One JSON line per request would bury the test output (test/node/request-log.test.ts covers it).
                REMIT_REQUEST_LOG: "off",
                // Webhooks: the ~24 h retry schedule shrinks to seconds, and deliveries go to
                // the real receiver started by test/support/webhook-receiver.mjs (globalSetup).
                WEBHOOK_RETRY_SCALE: "0.0001",
                WEBHOOK_TEST_RECEIVER: inject("webhookReceiver"),
                // Tree caps small enough that test/integration/hardening.test.ts reaches them in
                // a few dozen delegations, large enough that no other test's tree comes near
                // (the largest has under ten sessions). Scope caps keep wrangler.toml's defaults.
                REMIT_MAX_CHILDREN_PER_SESSION: "25",
                REMIT_MAX_SESSIONS_PER_TREE: "60",
                // How hard the property tests push: `npm run test:soak` raises these.
                TEST_RACE_RUNS: process.env.RACE_RUNS ?? "12",
                TEST_FUZZ_RUNS: process.env.FUZZ_RUNS ?? "60",
                TEST_SEED: process.env.TEST_SEED ?? String(Date.now() % 1_000_000),
              },
              // Batches flush in 50 ms rather than a second. Each entry replaces wrangler.toml's
              // whole, so it repeats the rest (test/unit/webhooks/queue.test.ts keeps them equal).
              queueConsumers: {
                "remit-webhooks": { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries: 10, deadLetterQueue: "remit-webhooks-dlq" },
                "remit-webhooks-dlq": { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries: 10 },
              },
            },
          })),
        ],
        test: {
          name: "workers",
          // The first request of a file pays for the worker's cold start; under a loaded
          // 2-core machine that alone can pass vitest's 5 s default.
          testTimeout: 30_000,
          include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
          // The static assets (/static/…) exist before the worker starts: scripts/build-assets.mjs.
          globalSetup: ["./scripts/build-assets.mjs", "./test/support/webhook-receiver.mjs"],
        },
      },
      {
        resolve,
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts", "test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          // Debian's chromium for the dashboard's browser tests (test/e2e/dashboard.test.ts), installed when missing.
          globalSetup: ["./test/support/chromium.mjs"],
        },
      },
    ],
  },
});
