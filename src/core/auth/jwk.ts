/** Ed25519 public JWKs of agents: validation, RFC 7638 thumbprints and imported verification keys, memoized. */
import { b64urlDecode, b64urlEncode, sha256, utf8 } from "../encoding";

/** An agent's public key: Ed25519 only. */
export interface AgentJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
}

/** Members that would mean private key material travelled in a header or request. */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

/** Why a JWK is not an acceptable agent public key, or null when it is. */
export function agentJwkProblem(jwk: unknown): string | null {
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) return "must be a JWK object";
  const k = jwk as Record<string, unknown>;
  for (const m of PRIVATE_MEMBERS) if (m in k) return `must not contain private key material ("${m}")`;
  if (k.kty !== "OKP" || k.crv !== "Ed25519") return 'must be an Ed25519 key (kty "OKP", crv "Ed25519")';
  if (typeof k.x !== "string") return 'must have "x"';
  try {
    if (b64urlDecode(k.x).length !== 32) return '"x" must be 32 bytes, base64url';
  } catch {
    return '"x" must be base64url';
  }
  return null;
}

export function toAgentJwk(jwk: Record<string, unknown>): AgentJwk {
  return { kty: "OKP", crv: "Ed25519", x: jwk.x as string };
}

const thumbprints = new Map<string, string>();

/** RFC 7638 thumbprint (SHA-256) of an Ed25519 public key: the `cnf.jkt` binding. */
export async function thumbprint(jwk: AgentJwk): Promise<string> {
  const known = thumbprints.get(jwk.x);
  if (known) return known;
  // Required members in lexicographic order, no whitespace (RFC 7638 §3.2).
  const canonical = `{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`;
  const jkt = b64urlEncode(await sha256(utf8(canonical)));
  if (thumbprints.size > 10_000) thumbprints.clear();
  thumbprints.set(jwk.x, jkt);
  return jkt;
}

const importedPublicKeys = new Map<string, CryptoKey>();

export async function importAgentKey(jwk: AgentJwk): Promise<CryptoKey> {
  let key = importedPublicKeys.get(jwk.x);
  if (!key) {
    key = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"]);
    if (importedPublicKeys.size > 10_000) importedPublicKeys.clear();
    importedPublicKeys.set(jwk.x, key);
  }
  return key;
}
