/** Operator and principal account routes: principals, API keys, freeze and unfreeze. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { adminAuth, apiKeyChecksumKeyOf, principalAuth, principalOf, type AppEnv } from "../middleware/auth";
import { hashSecret, mintApiKey } from "../core/auth/api-keys";
import { idempotencyOf, respond } from "../http";
import { newId } from "../core/ids";
import type { Env } from "../contract/env";
import { ApiKeyRequest, EmptyRequest, IdParam, PrincipalRequest } from "../schemas";
import { ApiKeyList, ApiKeyView, FreezeResult, NewApiKey, NewPrincipal } from "../contract/wire/principal";
import { ADMIN_SECURITY, body, IdempotencyHeaders, RequiredIdempotencyHeaders, json, jsonBody, PRINCIPAL_SECURITY, problems } from "./common";

export const principals = new OpenAPIHono<AppEnv>();

const DEFAULT_MAX_SESSION_SECONDS = 24 * 3600;

async function newKey(env: Env, principal: string) {
  const keyId = newId("key");
  const { key, secret } = await mintApiKey(await apiKeyChecksumKeyOf(env), principal, keyId);
  return { key, keyId, secretHash: await hashSecret(secret), keyPrefix: key.slice(0, 12) };
}

const create = createRoute({
  method: "post",
  path: "/v1/principals",
  tags: ["Principals"],
  summary: "Create a principal (operator); returns its first API key once",
  security: ADMIN_SECURITY,
  middleware: [adminAuth, jsonBody] as const,
  request: { body: body(PrincipalRequest) },
  responses: {
    201: json(NewPrincipal, "The principal and its first key (shown once)"),
    ...problems("unauthenticated", "validation-failed"),
  },
});

principals.openapi(create, async (c) => {
  const input = c.req.valid("json");
  const id = newId("prn");
  const k = await newKey(c.env, id);
  const outcome = await principalOf(c.env, id).create({
    id,
    name: input.name,
    maxSessionSeconds: input.max_session_seconds ?? DEFAULT_MAX_SESSION_SECONDS,
    ...k,
  });
  return respond(c, { outcome }, 201, (principal) => ({ principal, api_key: k.key }));
});

const createKey = createRoute({
  method: "post",
  path: "/v1/api-keys",
  tags: ["Principals"],
  summary: "Create another API key (rotation); the key is returned once",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth, jsonBody] as const,
  request: { headers: RequiredIdempotencyHeaders, body: { content: { "application/json": { schema: ApiKeyRequest } } } },
  responses: {
    201: json(NewApiKey, "The key (shown once)"),
    ...problems("unauthenticated", "forbidden", "validation-failed", "idempotency-key-reused", "idempotency-in-flight"),
  },
});

principals.openapi(createKey, async (c) => {
  const input = c.req.valid("json");
  const k = await newKey(c.env, c.var.principalId);
  const result = await principalOf(c.env, c.var.principalId).createApiKey(c.var.keyProof, await idempotencyOf(c), {
    label: input.label ?? null,
    ...(input.role ? { role: input.role } : {}),
    ...k,
  });
  // A replay cannot show the secret again: only the first answer carries it.
  const replayed = result.replayed === true;
  return respond(c, result, 201, (view: object) => (replayed ? view : { ...view, api_key: k.key }));
});

const listKeys = createRoute({
  method: "get",
  path: "/v1/api-keys",
  tags: ["Principals"],
  summary: "The principal's API keys (never their secrets)",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  responses: { 200: json(ApiKeyList, "The keys"), ...problems("unauthenticated") },
});

principals.openapi(listKeys, async (c) => respond(c, await principalOf(c.env, c.var.principalId).listApiKeys(c.var.keyProof), 200, (data) => ({ data })));

const revokeKey = createRoute({
  method: "delete",
  path: "/v1/api-keys/{id}",
  tags: ["Principals"],
  summary: "Revoke an API key",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: { params: IdParam("key"), headers: IdempotencyHeaders },
  responses: { 200: json(ApiKeyView, "The revoked key"), ...problems("unauthenticated", "not-found") },
});

principals.openapi(revokeKey, async (c) => {
  const { id } = c.req.valid("param");
  return respond(c, await principalOf(c.env, c.var.principalId).revokeApiKey(c.var.keyProof, await idempotencyOf(c), id), 200);
});

for (const frozen of [true, false]) {
  const route = createRoute({
    method: "post",
    path: frozen ? "/v1/freeze" : "/v1/unfreeze",
    tags: ["Principals"],
    summary: frozen ? "Kill switch: every session of the principal stops at once" : "Lift the freeze",
    security: PRINCIPAL_SECURITY,
    middleware: [principalAuth, jsonBody] as const,
    request: { headers: RequiredIdempotencyHeaders, body: { content: { "application/json": { schema: EmptyRequest } } } },
    responses: { 200: json(FreezeResult, "The principal and how many trees were reached"), ...problems("unauthenticated") },
  });
  principals.openapi(route, async (c) => respond(c, await principalOf(c.env, c.var.principalId).setFrozen(c.var.keyProof, await idempotencyOf(c), frozen), 200));
}
