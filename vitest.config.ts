import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects: everything that can run in workerd does (unit + integration,
// real Durable Objects); end-to-end flows that need anvil, a real local worker
// process, the CLI binary or Node APIs run in Node.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // Test-only secrets: fixed so failures reproduce; never used outside tests.
            miniflare: {
              bindings: {
                REMIT_ADMIN_TOKEN: "test-operator-token",
                REMIT_SIGNING_KEY: "fu0qcEqTDoQC4qtS-uOi4j9pDKMgQb-KmQ1YaxdiH1s",
                REMIT_SIGNING_KEY_PREVIOUS: "bYR_UHv5LhCojV7buG8f_MoQuYmWmFJoOMeM4SThdVc",
                REMIT_ENV: "development",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts", "test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
