/** Principals and their API keys on the wire. */
import { z } from "@hono/zod-openapi";
import type * as W from "../wire-types";
import type { Assert, Equal } from "./check";
import { ROLES } from "../../core/auth/roles";

export const PrincipalView = z
  .object({ id: z.string(), object: z.literal("principal"), name: z.string(), max_session_seconds: z.number(), frozen: z.boolean(), created_at: z.string() })
  .openapi("Principal");

export const NewPrincipal = z.object({ principal: PrincipalView, api_key: z.string() }).openapi("NewPrincipal");

export const ApiKeyView = z
  .object({
    id: z.string(),
    object: z.literal("api_key"),
    prefix: z.string(),
    label: z.string().nullable(),
    role: z.enum(ROLES).openapi({ description: "admin: everything; approver: reads and decides approvals; read_only: reads" }),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi("ApiKey");

// An idempotent replay answers without the secret: it is shown once, on the first answer only.
export const NewApiKey = ApiKeyView.extend({
  api_key: z.string().optional().openapi({ description: "The secret key, shown once (absent on an idempotent replay)" }),
}).openapi("NewApiKey");

export const ApiKeyList = z.object({ data: z.array(ApiKeyView) }).openapi("ApiKeyList");

export const FreezeResult = PrincipalView.extend({ trees: z.number().int().openapi({ description: "How many trees the switch reached" }) }).openapi("FreezeResult");

export type PrincipalView = W.PrincipalView;
export type NewPrincipal = W.NewPrincipal;
export type ApiKeyView = W.ApiKeyView;
export type NewApiKey = W.NewApiKey;
export type ApiKeyList = W.ApiKeyList;
export type FreezeResult = W.FreezeResult;

// The plain types the SDK publishes must be exactly what the schemas validate and document.
export type _PrincipalViewWire = Assert<Equal<z.output<typeof PrincipalView>, PrincipalView>>;
export type _NewPrincipalWire = Assert<Equal<z.output<typeof NewPrincipal>, NewPrincipal>>;
export type _ApiKeyViewWire = Assert<Equal<z.output<typeof ApiKeyView>, ApiKeyView>>;
export type _NewApiKeyWire = Assert<Equal<z.output<typeof NewApiKey>, NewApiKey>>;
export type _ApiKeyListWire = Assert<Equal<z.output<typeof ApiKeyList>, ApiKeyList>>;
export type _FreezeResultWire = Assert<Equal<z.output<typeof FreezeResult>, FreezeResult>>;
