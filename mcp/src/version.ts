/** Sent as the MCP implementation version; kept equal to package.json by the package test. */
export const VERSION = "0.1.0";
