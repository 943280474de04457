/** Policy: pure functions shared by the edge, the Durable Objects and the SDK. */
export * from "./amounts";
export * from "./approval";
export * from "./attenuate";
export * from "./budgets";
export * from "./periods";
export * from "./rate";
export * from "./scopes";
