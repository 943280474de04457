/**
 * The response bodies of the API as plain TypeScript: what the SDK publishes and the service's
 * code reads, one file per resource in ./wire-types/. They import nothing but core types that are
 * plain TypeScript themselves, so no zod, Workers or server-only type reaches a declaration built from them.
 *
 * The zod schemas in ./wire validate and document the same bodies; each schema's module re-exports
 * its types from here and checks at compile time that `z.output` of the schema equals the type
 * (see ./wire/check.ts), so neither side can change alone.
 */
export type * from "./wire-types/limits";
export type * from "./wire-types/meta";
export type * from "./wire-types/receipts";
export type * from "./wire-types/principals";
export type * from "./wire-types/holds";
export type * from "./wire-types/sessions";
export type * from "./wire-types/settlement";
export type * from "./wire-types/events";
export type * from "./wire-types/webhooks";
export type * from "./wire-types/approvals";
export type * from "./wire-types/tripwires";
export type * from "./wire-types/governance";
