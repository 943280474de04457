/**
 * @remit/mcp — the MCP gateway (`remit-mcp`) as a library: put an upstream MCP server's
 * tools under a Remit session, or serve Remit's own tools.
 */
export { Gateway, remainingOf } from "./gateway";
export type { GatewayOptions, RemainingView } from "./gateway";
export { ConfigError, ConfigSchema, loadConfig, parseConfig } from "./config";
export type { GatewayConfig, HttpUpstreamConfig, StdioUpstreamConfig, ToolPolicy } from "./config";
export { RemitTools, REMIT_TOOLS } from "./tools-server";
export type { ToolsServerOptions } from "./tools-server";
export { agentFromEnv, EnvError } from "./env";
export { serveHttp, serveStdio } from "./serve";
export type { HttpServing } from "./serve";
export { canonicalize } from "./jcs";
export { callDigest } from "./digest";
export { readAmount } from "./amount";
export type { AmountRead } from "./amount";
export { covers, coveredByAny, toolScope } from "./scopes";
export type { Logger } from "./log";
export { VERSION } from "./version";
