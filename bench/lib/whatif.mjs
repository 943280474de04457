// What-if builds (opt-in: --what-if): the server's proposed fixes applied to a COPY
// of the sources under bench/.build/whatif/<name>/ (never to the sources themselves),
// bundled the same way, and measured against the unpatched build in the same run.
// Each patch is an exact text replacement; one whose text is no longer in the source
// is reported as not applied, so a stale patch cannot pass for a measured fix.
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BUILD } from "./build.mjs";
import { ROOT } from "./paths.mjs";

/** The fixes proposed in the bench report, as text patches. */
export const PATCHES = {
  "native-sign": {
    what: "receipt signature with node:crypto sign (BoringSSL, still synchronous) instead of noble ed.sign",
    file: "src/settlement/receipt.ts",
    edits: [
      [
        `import * as ed from "@noble/ed25519";`,
        `import * as ed from "@noble/ed25519";
import { createPrivateKey as __cpk, sign as __nodeSign } from "node:crypto";
const __keys = new Map<string, ReturnType<typeof __cpk>>();
const __PKCS8 = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
function __sign(message: Uint8Array, seed: Uint8Array): Uint8Array {
  const id = String.fromCharCode(...seed);
  let k = __keys.get(id);
  if (!k) __keys.set(id, (k = __cpk({ key: Buffer.from([...__PKCS8, ...seed]), format: "der", type: "pkcs8" })));
  return new Uint8Array(__nodeSign(null, message, k));
}`,
      ],
      [`return assemble(receipt, bytes, ed.sign(utf8(bytes), checkSeed(seed)));`, `return assemble(receipt, bytes, __sign(utf8(bytes), checkSeed(seed)));`],
    ],
  },
  "native-leaf": {
    what: "leaf hash with node:crypto createHash (native) instead of noble sha256",
    file: "src/settlement/merkle.ts",
    edits: [
      [
        `export function leafHash(bytes: Uint8Array): Hash {`,
        `import { createHash as __createHash } from "node:crypto";
export function leafHash(bytes: Uint8Array): Hash {
  return new Uint8Array(__createHash("sha256").update(new Uint8Array([LEAF_PREFIX])).update(bytes).digest());
}
export function leafHashNoble(bytes: Uint8Array): Hash {`,
      ],
    ],
  },
  "coalesce-drain": {
    what: "the receipt outbox drain alarm a second after the receipt instead of at once (one Ledger.append per second per tree, not per request)",
    file: "durable-objects/session-tree.ts",
    edits: [[`    this.scheduleAlarmSoon(ctx.now);\n    return signed;`, `    this.scheduleAlarmSoon(ctx.now + 1000);\n    return signed;`]],
  },
  "coalesce-drain-rearm": {
    what: "…and the alarm re-arms for waiting receipts a second later, not at once (else it runs back to back under load)",
    file: "durable-objects/tree/maintenance.ts",
    edits: [[`  if (receipts !== null) candidates.push(receipts);`, `  if (receipts !== null) candidates.push(Math.max(receipts, now + 1000));`]],
  },
  "token-cache": {
    what: "verified session tokens cached per isolate (exact token string → claims); time, issuer and kid re-checked on every hit",
    file: "src/auth/session-token.ts",
    edits: [
      [
        `export async function verifySessionToken(keys: ServiceKeys, token: string, issuer: string, now: number): Promise<SessionClaims> {`,
        `const __verified = new Map<string, { claims: SessionClaims; kid: string; issuer: string }>();
export async function verifySessionToken(keys: ServiceKeys, token: string, issuer: string, now: number): Promise<SessionClaims> {
  const hit = __verified.get(token);
  const s = now / 1000;
  if (hit && hit.issuer === issuer && keys.byKid.has(hit.kid) && s < hit.claims.exp && s >= hit.claims.nbf) return hit.claims;
  const claims = await verifySessionTokenUncached(keys, token, issuer, now);
  if (__verified.size > 10_000) __verified.clear();
  __verified.set(token, { claims, kid: String(decodeProtectedHeader(token).kid), issuer });
  return claims;
}

async function verifySessionTokenUncached(keys: ServiceKeys, token: string, issuer: string, now: number): Promise<SessionClaims> {`,
      ],
    ],
  },
  "meta-cache": {
    what: "tree and principal ids read once per object instead of a SELECT per use",
    file: "durable-objects/session-tree.ts",
    edits: [
      [
        `  private get treeId(): string {\n    return getMeta(this.sql, "tree")!;`,
        `  private __tree: string | null = null;\n  private get treeId(): string {\n    return (this.__tree ??= getMeta(this.sql, "tree")!);`,
      ],
      [
        `  private get principal(): string {\n    return getMeta(this.sql, "principal")!;`,
        `  private __principal: string | null = null;\n  private get principal(): string {\n    return (this.__principal ??= getMeta(this.sql, "principal")!);`,
      ],
    ],
  },
};

/** Copies the worker's sources, applies `patches`, returns the copy's wrangler.toml and what was applied. */
export async function patchedTree(name, patches) {
  const dir = join(BUILD, "whatif", name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const part of ["src", "durable-objects", "sdk", "wrangler.toml", "tsconfig.json", "package.json"])
    await cp(join(ROOT, part), join(dir, part), { recursive: true, filter: (p) => !p.includes("node_modules") }).catch(() => {});
  const applied = [];
  const skipped = [];
  for (const key of patches) {
    const patch = PATCHES[key];
    const file = join(dir, patch.file);
    let text = await readFile(file, "utf8");
    let ok = true;
    for (const [from, to] of patch.edits) {
      if (!text.includes(from)) {
        ok = false;
        break;
      }
      text = text.replace(from, to);
    }
    if (ok) {
      await writeFile(file, text);
      applied.push(key);
    } else skipped.push(key);
  }
  return { config: join(dir, "wrangler.toml"), applied, skipped };
}
