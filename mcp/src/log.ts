/**
 * One JSON line per call (and per lifecycle event) on stderr: stdout belongs to the MCP
 * stdio transport. Only what is passed is written; callers never pass the token or key.
 */
export type Logger = (entry: Record<string, unknown>) => void;

export const stderrLogger: Logger = (entry) => {
  process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`);
};
