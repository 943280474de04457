/**
 * Reading and writing JWK files, shared by keygen, grant and delegate: one set of
 * checks, and a private key only ever written 0600.
 */
import type { AgentKey } from "@remit/sdk/keys";
import { jwkThumbprint, loadAgentKey } from "@remit/sdk/keys";
import type { PublicJwk } from "@remit/sdk";
import { errnoCode, fs, path } from "./node";
import { UsageError } from "./parse";

/** A JWK given inline (`{…}`) or as a file. */
async function readJwk(value: string, flag: string): Promise<Record<string, unknown>> {
  let text = value.trim();
  if (!text.startsWith("{")) {
    try {
      text = await fs.readFile(value, "utf8");
    } catch (err) {
      throw new UsageError(`${flag} ${value}: cannot read the file (${errnoCode(err) ?? String(err)})`);
    }
  }
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new UsageError(`${flag}: not a JSON JWK`);
  }
  if (typeof jwk !== "object" || jwk === null) throw new UsageError(`${flag}: not a JWK object`);
  const k = jwk as Record<string, unknown>;
  if (k.kty !== "OKP" || k.crv !== "Ed25519" || typeof k.x !== "string") throw new UsageError(`${flag}: not an Ed25519 JWK (kty OKP, crv Ed25519, x)`);
  return k;
}

/** Only the public members: a private key file may be given, its `d` never leaves. */
export async function readPublicJwk(value: string, flag: string): Promise<PublicJwk> {
  const k = await readJwk(value, flag);
  return { kty: "OKP", crv: "Ed25519", x: k.x as string };
}

export async function readPrivateKey(value: string, flag: string): Promise<AgentKey> {
  const k = await readJwk(value, flag);
  if (typeof k.d !== "string") throw new UsageError(`${flag}: this JWK has no private part ("d")`);
  let key: AgentKey;
  try {
    key = loadAgentKey({ d: k.d });
  } catch {
    throw new UsageError(`${flag}: "d" is not a base64url 32-byte Ed25519 seed`);
  }
  if (key.publicJwk.x !== k.x) throw new UsageError(`${flag}: "x" does not match "d"`);
  return key;
}

/** Where private keys go when no `--out` is given: `.remit/keys/` under the working directory (git-ignored). */
export const KEY_DIR = path.join(".remit", "keys");

/** The default file of a new key: `.remit/keys/<name>-<first 8 of its thumbprint>.jwk`, never an existing one. */
export async function defaultKeyFile(name: string, key: AgentKey): Promise<string> {
  return path.join(KEY_DIR, `${name}-${(await jwkThumbprint(key.publicJwk)).slice(0, 8)}.jwk`);
}

/** Writes a private JWK to a new file, mode 0600 (its directory created 0700). */
export async function writePrivateKey(file: string, key: AgentKey, force: boolean): Promise<void> {
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fs.writeFile(file, JSON.stringify(key.privateJwk, null, 2) + "\n", { mode: 0o600, flag: force ? "w" : "wx" });
    await fs.chmod(file, 0o600);
  } catch (err) {
    if (errnoCode(err) === "EEXIST") throw new UsageError(`${file} exists; pass --force to overwrite it`);
    throw new UsageError(`cannot write ${file} (${errnoCode(err) ?? String(err)})`);
  }
}

/** True when `value` is a JWK file (or inline JWK) with a private part. */
export async function hasPrivatePart(value: string): Promise<boolean> {
  try {
    return typeof (await readJwk(value, "--agent-key")).d === "string";
  } catch {
    return false;
  }
}
