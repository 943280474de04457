/**
 * The agent's session, from the environment: REMIT_URL, REMIT_TOKEN (the session token)
 * and REMIT_AGENT_KEY (the path of the private JWK file `remit keygen --out` writes).
 * Neither the token nor the key is ever logged.
 */
import { readFile } from "node:fs/promises";
import { loadAgentKey, RemitAgent } from "@remit/sdk";

export class EnvError extends Error {
  override name = "EnvError";
}

export async function agentFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<RemitAgent> {
  const missing = ["REMIT_URL", "REMIT_TOKEN", "REMIT_AGENT_KEY"].filter((n) => !env[n]);
  if (missing.length) {
    throw new EnvError(
      `${missing.join(", ")} not set: REMIT_URL is the Remit service (e.g. http://127.0.0.1:8787), REMIT_TOKEN the session token, REMIT_AGENT_KEY the path of the agent's private JWK file (remit keygen --out agent.jwk)`,
    );
  }
  const file = env.REMIT_AGENT_KEY!;
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new EnvError(`REMIT_AGENT_KEY ${file}: cannot read a JSON JWK (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.d !== "string") {
    throw new EnvError(`REMIT_AGENT_KEY ${file}: not a private Ed25519 JWK (kty OKP, crv Ed25519, d)`);
  }
  let key: ReturnType<typeof loadAgentKey>;
  try {
    key = loadAgentKey({ d: jwk.d });
  } catch {
    throw new EnvError(`REMIT_AGENT_KEY ${file}: "d" is not a base64url 32-byte Ed25519 seed`);
  }
  if (typeof jwk.x === "string" && jwk.x !== key.publicJwk.x) throw new EnvError(`REMIT_AGENT_KEY ${file}: "x" does not match "d"`);
  return new RemitAgent({ baseUrl: env.REMIT_URL!, token: env.REMIT_TOKEN!, key, userAgent: "remit-mcp" });
}
