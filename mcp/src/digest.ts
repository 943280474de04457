import { createHash } from "node:crypto";
import { canonicalize } from "./jcs";

/**
 * The `request_digest` of a tool call: lowercase hex SHA-256 of the RFC 8785 canonical
 * JSON of `{ "tool": name, "arguments": args }` (the service's `sha256_hex` rule).
 */
export function callDigest(tool: string, args: Record<string, unknown>): string {
  return createHash("sha256")
    .update(canonicalize({ tool, arguments: args }), "utf8")
    .digest("hex");
}
