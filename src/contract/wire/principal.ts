/** Principals and their API keys on the wire. */
import { z } from "@hono/zod-openapi";
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

export type PrincipalView = z.output<typeof PrincipalView>;
export type NewPrincipal = z.output<typeof NewPrincipal>;
export type ApiKeyView = z.output<typeof ApiKeyView>;
export type NewApiKey = z.output<typeof NewApiKey>;
export type ApiKeyList = z.output<typeof ApiKeyList>;
export type FreezeResult = z.output<typeof FreezeResult>;
