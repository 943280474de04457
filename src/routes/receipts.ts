/** Receipt routes: one receipt, for its principal or an agent of its tree. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { agentAuth, principalAuth, principalOf, treeOf, type AppEnv } from "../middleware/auth";
import { respond } from "../http";
import { IdParam } from "../schemas";
import { SignedReceiptView } from "../contract/wire/receipts";
import { AGENT_SECURITY, json, PRINCIPAL_SECURITY, problems } from "./common";

export const receipts = new OpenAPIHono<AppEnv>();

/** Principals with their key, agents with their proof: the receipt must be in their tree. */
const principalOrAgent: MiddlewareHandler<AppEnv> = async (c, next) => {
  const auth = /^DPoP /.test(c.req.header("authorization") ?? "") ? agentAuth : principalAuth;
  await auth(c, next);
};

const get = createRoute({
  method: "get",
  path: "/v1/receipts/{id}",
  tags: ["Receipts"],
  summary: "A signed receipt",
  security: [...PRINCIPAL_SECURITY, ...AGENT_SECURITY],
  middleware: [principalOrAgent],
  request: { params: IdParam("rcp") },
  responses: { 200: json(SignedReceiptView, "The receipt, its canonical bytes and signature"), ...problems("unauthenticated", "invalid-proof", "not-found") },
});

receipts.openapi(get, async (c) => {
  const { id } = c.req.valid("param");
  const agent = c.get("agent");
  if (agent) return respond(c, await treeOf(c.env, agent.claims.tree).receiptForAgent(agent.call, id), 200);
  return respond(c, await principalOf(c.env, c.var.principalId).receipt(c.var.keyProof, id), 200);
});
