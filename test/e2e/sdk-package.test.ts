/**
 * @remit/sdk as npm consumers get it: built, packed with `npm pack`, installed from the
 * tarball into a project outside the repository, then (a) run by plain `node` (no tsx)
 * against the real worker and chain — key, grant, spend, settlement, receipt verified
 * against the worker's JWKS — and (b) type-checked by tsc under NodeNext and Bundler
 * resolution with skipLibCheck off. Nothing here may reach into the repo's sources.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useStack } from "../support/stack";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const SDK = join(ROOT, "sdk");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
// npm, tsdown and the scripts all run on this Node (the repo's Node 22), whatever else is on PATH.
const ENV = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`, NO_COLOR: "1" };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: Record<string, string | undefined> = ENV): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args, { cwd, env, maxBuffer: 32 * 1024 * 1024, timeout: 150_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function ok(command: string, args: string[], cwd: string, env?: Record<string, string | undefined>): Promise<string> {
  const r = await run(command, args, cwd, env);
  if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} (in ${cwd}) exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const stack = useStack({ withChain: true });
let dir = "";
let project = "";
let packed: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "remit-sdk-package-"));
  await ok("npm", ["run", "build"], SDK);
  const pack = JSON.parse(await ok("npm", ["pack", "--json", "--pack-destination", dir], SDK)) as { filename: string; files: { path: string }[] }[];
  packed = pack[0]!.files.map((f) => f.path).sort();
  const tarball = join(dir, pack[0]!.filename);

  // A consumer project of its own, outside the repository: no workspace, no parent node_modules.
  project = join(dir, "consumer");
  await mkdir(project);
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2));
  // The repo's own @types/node, so --prefer-offline finds it in npm's cache like the SDK's dependencies.
  const typesNode = JSON.parse(await readFile(join(ROOT, "node_modules", "@types", "node", "package.json"), "utf8")) as { version: string };
  await ok("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball, `@types/node@${typesNode.version}`], project);
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("holds dist, its license and readme only; its code imports nothing but its dependencies", async () => {
    expect(packed.filter((f) => !f.startsWith("dist/"))).toEqual(["LICENSE", "README.md", "package.json"]);
    expect(packed).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/verify.js", "dist/verify.d.ts", "dist/keys.js", "dist/dpop.js"]));

    const installed = join(project, "node_modules", "@remit", "sdk");
    const manifest = JSON.parse(await readFile(join(installed, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const deps = Object.keys(manifest.dependencies);
    for (const file of await readdir(join(installed, "dist"))) {
      const text = await readFile(join(installed, "dist", file), "utf8");
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1]!);
      for (const s of specifiers) {
        if (s.startsWith("./")) continue;
        expect(deps, `${file} imports ${s}`).toContain(s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : s.split("/")[0]);
      }
      // The public types stand alone: no Workers types, no server-only packages.
      expect(text, file).not.toMatch(/cloudflare:|DurableObject|\bRpc\.|@cloudflare\/|@hono\/|"(hono|zod|jose)"/);
    }
  });

  it("runs under plain node: key, grant, spend, settlement, and the receipt verifies against the worker's JWKS", async () => {
    await writeFile(
      join(project, "flow.mjs"),
      `// Plain ESM, no TypeScript loader: what an npm user of @remit/sdk runs.
import { generateAgentKey, RemitOperator, RemitPrincipal, RemitClient, verifyReceipt } from "@remit/sdk";
import { verifyReceipt as verifyFromSubpath } from "@remit/sdk/verify";
import { loadAgentKey } from "@remit/sdk/keys";
import { createProof } from "@remit/sdk/dpop";

const { REMIT_URL: url, REMIT_ADMIN_TOKEN: adminToken, REMIT_RPC_URL: rpcUrl } = process.env;
const operator = new RemitOperator({ baseUrl: url, adminToken });
const created = await operator.createPrincipal({ name: "Packaged" });
const principal = new RemitPrincipal({ baseUrl: url, apiKey: created.api_key });
const key = loadAgentKey(generateAgentKey().privateJwk);
const { session, agent } = await principal.grant({
  agentKey: key,
  scopes: ["http:GET:api.example.com/*"],
  expiresIn: 3600,
  limits: { budgets: [{ asset: "USD", amount: "1000" }] },
});
const { receipt } = await agent.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value: "42" } });

let answer = await principal.receiptProof(receipt.receipt.id);
for (let i = 0; i < 60 && !answer.proof; i++) {
  await operator.settle();
  answer = await principal.receiptProof(receipt.receipt.id);
  if (!answer.proof) await new Promise((r) => setTimeout(r, 250));
}
const jwksUrl = url + "/.well-known/jwks.json";
const result = await verifyReceipt(receipt, answer, { jwksUrl, rpcUrl });
const forged = { ...receipt, signature: receipt.signature.startsWith("A") ? "B" + receipt.signature.slice(1) : "A" + receipt.signature.slice(1) };
const tampered = await verifyReceipt(forged, answer, { jwks: await new RemitClient({ baseUrl: url }).jwks(), rpcUrl });
const proof = createProof(key, { method: "GET", url: url + "/v1/session", accessToken: "t" });
console.log(JSON.stringify({
  session: session.id,
  receipt: receipt.receipt,
  stage: answer.stage,
  result,
  tampered,
  sameVerify: verifyFromSubpath === verifyReceipt,
  proofParts: proof.split(".").length,
}));
`,
    );
    const r = await run(process.execPath, ["flow.mjs"], project, {
      ...ENV,
      REMIT_URL: stack().url,
      REMIT_ADMIN_TOKEN: stack().adminToken,
      REMIT_RPC_URL: stack().chain!.rpcUrl,
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, any>;
    expect(out.receipt).toMatchObject({ kind: "authorize", amount: "42", asset: "USD", session: out.session });
    expect(out.stage).toBe("anchored");
    expect(out.result).toEqual({ ok: true, checks: { signature: true, leaf: true, batch: true, period: true, chain: true } });
    expect(out.tampered).toMatchObject({ ok: false, checks: { signature: false } });
    expect(out.sameVerify).toBe(true);
    expect(out.proofParts).toBe(3);
  });

  const consumer = `// A TypeScript consumer of @remit/sdk: its types must be real (not any) and need nothing else.
import { RemitAgent, RemitPrincipal, generateAgentKey, verifyReceipt, isRemitError, BudgetExceededError, type AgentKey, type Session, type SignedReceipt, type VerifyResult } from "@remit/sdk";
import { verifyReceipt as verifyFromSubpath, type VerifyReceiptOptions } from "@remit/sdk/verify";
import { loadAgentKey, agentKeyFromSeed } from "@remit/sdk/keys";
import { createProof, type ProofOptions } from "@remit/sdk/dpop";

const key: AgentKey = loadAgentKey(generateAgentKey().privateJwk);
const seeded: AgentKey = agentKeyFromSeed(new Uint8Array(32));
export const principal = new RemitPrincipal({ baseUrl: "http://127.0.0.1:1", apiKey: "k" });
export const agent = new RemitAgent({ baseUrl: "http://127.0.0.1:1", token: "t", key });
export async function spend(): Promise<SignedReceipt> {
  const { receipt, session } = await agent.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value: 1n } });
  const s: Session = session;
  const amount: string = s.counters.budgets[0]?.remaining ?? "";
  void amount;
  return receipt;
}
export async function check(signed: SignedReceipt, options: VerifyReceiptOptions): Promise<boolean> {
  const answer = await agent.receiptProof(signed.receipt.id);
  const r: VerifyResult = await verifyReceipt(signed, answer, options);
  const same: typeof verifyReceipt = verifyFromSubpath;
  void same;
  return r.ok && r.checks.signature;
}
export function refused(err: unknown): boolean {
  return isRemitError(err) && err instanceof BudgetExceededError;
}
export const proof: string = createProof(seeded, { method: "GET", url: "http://127.0.0.1:1/v1/session", accessToken: "t" } satisfies ProofOptions);
// @ts-expect-error the base URL is a string: were the types any, this line would be an error itself
export const wrong = new RemitAgent({ baseUrl: 1, token: "t", key });
`;

  for (const [name, compilerOptions] of [
    ["NodeNext", { module: "NodeNext", moduleResolution: "NodeNext", types: ["node"] }],
    // A bundler consumer (a browser or Workers app): DOM's fetch types, no Node types.
    ["Bundler", { module: "ESNext", moduleResolution: "Bundler", lib: ["es2023", "dom"], types: [] }],
  ] as const) {
    it(`type-checks with moduleResolution ${name}, strict, skipLibCheck off`, async () => {
      const at = join(project, `ts-${name}`);
      await mkdir(at, { recursive: true });
      await writeFile(join(at, "consumer.ts"), consumer);
      await writeFile(
        join(at, "tsconfig.json"),
        JSON.stringify({ compilerOptions: { target: "es2022", strict: true, skipLibCheck: false, noEmit: true, ...compilerOptions }, files: ["consumer.ts"] }, null, 2),
      );
      const r = await run(process.execPath, [TSC, "-p", join(at, "tsconfig.json")], at);
      expect(r.stdout + r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
  }
});
