/**
 * The layer rules in .dependency-cruiser.cjs bite: on a tiny fixture tree that breaks each
 * of them, dependency-cruiser reports every break (type-only imports included); on the
 * real tree it reports none. Runs the same CLI as `npm run check:imports`.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// Run by the Node running the tests (the system `node` may be older than dependency-cruiser allows).
const depcruise = join(root, "node_modules/dependency-cruiser/bin/dependency-cruiser.mjs");
const config = join(root, ".dependency-cruiser.cjs");

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

async function cruise(cwd: string): Promise<Violation[]> {
  // -T json reports violations in the output and exits 0; the rule set and options are the real ones.
  const { stdout } = await run(process.execPath, [depcruise, "--config", config, "-T", "json", "src", "durable-objects", "sdk", "cli"], { cwd, maxBuffer: 64 << 20 });
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const fixture: Record<string, string> = {
  "tsconfig.json": JSON.stringify({ compilerOptions: { module: "esnext", moduleResolution: "bundler" } }),
  // a cycle inside core
  "src/core/a.ts": `import { b } from "./b";\nexport const a = () => b;\n`,
  "src/core/b.ts": `import { a } from "./a";\nexport const b = () => a;\n`,
  // core reaching into the contract
  "src/core/impure.ts": `import type { View } from "../contract/view";\nexport type V = View;\n`,
  // the contract reaching into the edge
  "src/contract/view.ts": `import { handler } from "../routes/x";\nexport type View = typeof handler;\n`,
  // the edge importing an object (type-only: must still count)
  "src/routes/x.ts": `import type { Ledger } from "../../durable-objects/ledger/index";\nexport const handler = (l: Ledger) => l;\n`,
  "src/http.ts": `export const json = 1;\n`,
  // the worker entry may re-export objects
  "src/index.ts": `export { Ledger } from "../durable-objects/ledger/index";\n`,
  // an object importing the edge, and another object's folder
  "durable-objects/ledger/index.ts": `import { json } from "../../src/http";\nimport { T } from "../session-tree/index";\nexport class Ledger { x = json; t = T; }\n`,
  "durable-objects/session-tree/index.ts": `import { m } from "../shared/meta";\nexport const T = m;\n`,
  "durable-objects/shared/meta.ts": `export const m = 1;\n`,
  // the SDK importing workerd, Node and an object
  "sdk/src/index.ts": `import { env } from "cloudflare:workers";\nimport { Buffer } from "node:buffer";\nimport type { Ledger } from "../../durable-objects/ledger/index";\nexport type L = Ledger;\nexport const e = env;\nexport const b = Buffer;\n`,
  // the CLI importing the contract
  "cli/src/main.ts": `import type { View } from "../../src/contract/view";\nimport { e } from "../../sdk/src/index";\nexport type V = View;\nexport const x = e;\n`,
};

describe("import rules", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "remit-import-rules-"));
    for (const [path, text] of Object.entries(fixture)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("report every break in a fixture tree", async () => {
    const violations = await cruise(dir);
    const found = violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(found).toEqual(
      expect.arrayContaining([
        "no-circular: src/core/a.ts -> src/core/b.ts",
        "core-is-pure: src/core/impure.ts -> src/contract/view.ts",
        "contract-only-core: src/contract/view.ts -> src/routes/x.ts",
        "edge-not-objects: src/routes/x.ts -> durable-objects/ledger/index.ts",
        "objects-not-edge: durable-objects/ledger/index.ts -> src/http.ts",
        "objects-own-folder: durable-objects/ledger/index.ts -> durable-objects/session-tree/index.ts",
        "sdk-not-workers-runtime: sdk/src/index.ts -> cloudflare:workers",
        "sdk-only-core-contract: sdk/src/index.ts -> durable-objects/ledger/index.ts",
        "sdk-no-node-builtins: sdk/src/index.ts -> buffer", // dependency-cruiser names builtins without node:
        "cli-only-sdk: cli/src/main.ts -> src/contract/view.ts",
      ]),
    );
    // allowed: the worker entry re-exports objects; an object imports durable-objects/shared; the CLI imports the SDK
    expect(violations.filter((v) => v.from === "src/index.ts")).toEqual([]);
    expect(violations.filter((v) => v.to.startsWith("durable-objects/shared/"))).toEqual([]);
    expect(violations.filter((v) => v.from.startsWith("cli/") && v.to.startsWith("sdk/"))).toEqual([]);
  });

  it("find no break in the real tree", async () => {
    expect(await cruise(root)).toEqual([]);
  });
});
