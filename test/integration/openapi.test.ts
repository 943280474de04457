import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { isDashboardPath } from "../../src/dashboard/routes";
import { PROBLEMS } from "../../src/core/errors";
import { generateAgentKey } from "@remit/sdk/keys";
import { agentCall, call, createPrincipal, inHours } from "../support/harness";
import { validate } from "../support/json-schema";

describe("the API description", () => {
  it("is OpenAPI 3.1 with every route the app serves", async () => {
    const r = await call("GET", "/openapi.json");
    expect(r.status).toBe(200);
    const doc = r.json;
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toBe("Remit API");
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>))
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`);
    const served = createApp()
      .routes.filter((r) => r.method !== "ALL" && !["/openapi.json", "/docs", "/problems", "/problems/:name"].includes(r.path) && !isDashboardPath(r.path))
      .map((r) => `${r.method} ${r.path}`);
    for (const route of new Set(served)) expect(documented, route).toContain(route);
    for (const name of ["ApiKey", "DPoP", "Operator"]) expect(doc.components.securitySchemes).toHaveProperty(name);
  });

  it("documents problem responses as application/problem+json", async () => {
    const doc = (await call("GET", "/openapi.json")).json;
    const authorize = doc.paths["/v1/authorize"].post;
    expect(authorize.responses["403"].content).toHaveProperty("application/problem+json");
    expect(authorize.responses["403"].description).toMatch(/budget-exceeded/);
  });

  it("serves the docs page and a human page for every problem type", async () => {
    expect((await call("GET", "/docs")).status).toBe(200);
    for (const name of Object.keys(PROBLEMS)) {
      const r = await call("GET", `/problems/${name}`);
      expect(r.status, name).toBe(200);
      expect(r.text).toContain(name);
    }
  });
});

describe("the API description: approvals", () => {
  it("lists the approval routes, the 202 of a spend that waits, and the approval events", async () => {
    const doc = (await call("GET", "/openapi.json")).json;
    expect(Object.keys(doc.paths["/v1/approvals"])).toEqual(["get"]);
    expect(Object.keys(doc.paths["/v1/approvals/{id}"])).toEqual(["get"]);
    for (const verb of ["approve", "deny", "cancel"]) expect(doc.paths[`/v1/approvals/{id}/${verb}`]).toHaveProperty("post");
    expect(doc.paths["/v1/authorize"].post.responses).toHaveProperty("202");
    expect(doc.paths["/v1/holds"].post.responses).toHaveProperty("202");
    expect(doc.paths["/v1/approvals/{id}/approve"].post.responses["409"].description).toMatch(/approval-closed/);
    expect(doc.paths["/v1/approvals/{id}/approve"].post.responses["403"].description).toMatch(/forbidden/);
    for (const type of ["approval.requested", "approval.approved", "approval.denied", "approval.expired", "approval.canceled"])
      expect(doc.webhooks, type).toHaveProperty(type);
    expect(doc.components.schemas.Receipt.properties).toHaveProperty("approval");
    expect(doc.components.schemas.Limits.properties).toHaveProperty("approval");
  });
});

describe("the API description: every operation is documented", () => {
  type Media = { schema?: unknown; example?: unknown };
  type Operation = {
    summary?: string;
    description?: string;
    requestBody?: { content?: Record<string, Media> };
    responses: Record<string, { content?: Record<string, Media> }>;
  };
  const operations = (doc: { paths: Record<string, Record<string, Operation>> }) =>
    Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })));

  it("gives every operation a summary and a description of what it does and who may call it", async () => {
    const doc = (await call("GET", "/openapi.json")).json;
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(30);
    for (const { key, op } of ops) {
      expect(op.summary?.trim(), `${key} summary`).toBeTruthy();
      expect(op.description?.length ?? 0, `${key} description`).toBeGreaterThanOrEqual(60);
    }
  });

  it("gives every request body and every 2xx JSON response an example that validates against its own schema", async () => {
    const doc = (await call("GET", "/openapi.json")).json;
    for (const { key, op } of operations(doc)) {
      const request = op.requestBody?.content?.["application/json"];
      if (request) {
        expect(request.example, `${key} request example`).toBeDefined();
        expect(validate(doc, request.schema as never, request.example), `${key} request example`).toEqual([]);
      }
      const ok = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
      expect(ok.length, `${key} has a 2xx`).toBeGreaterThan(0);
      for (const [status, r] of ok) {
        const media = r.content?.["application/json"];
        if (!media) {
          // A stream (text/event-stream) is not JSON: it shows one frame as its schema's example.
          const other = Object.values((r.content ?? {}) as Record<string, { example?: unknown; schema?: { example?: unknown } }>);
          expect(other.length, `${key} ${status} has content`).toBeGreaterThan(0);
          expect(
            other.every((m) => (m.example ?? m.schema?.example) !== undefined),
            `${key} ${status} response example`,
          ).toBe(true);
          continue;
        }
        expect(media.example, `${key} ${status} response example`).toBeDefined();
        expect(validate(doc, media?.schema as never, media?.example), `${key} ${status} response example`).toEqual([]);
      }
    }
  });

  it("the check bites: an example outside its schema is reported", async () => {
    const doc = (await call("GET", "/openapi.json")).json;
    const grant = doc.paths["/v1/sessions"].post.requestBody.content["application/json"];
    expect(validate(doc, grant.schema, { ...grant.example, expires_at: undefined, colour: "red" })).not.toEqual([]);
  });
});

describe("the API description: the examples are real", () => {
  it("the request examples of the grant-to-capture path are accepted by the service as they stand", async () => {
    const doc = (await call("GET", "/openapi.json")).json;
    const example = (path: string) => doc.paths[path].post.requestBody.content["application/json"].example;
    const p = await createPrincipal();
    const rootKey = generateAgentKey();
    // Only the agent key (whose private half the example cannot carry) and the end (which must be in the future) change.
    const granted = await call("POST", "/v1/sessions", {
      headers: { authorization: `Bearer ${p.apiKey}` },
      body: { ...example("/v1/sessions"), agent_jwk: rootKey.publicJwk, expires_at: inHours(1) },
    });
    expect(granted.status, granted.text).toBe(201);
    const root = { key: rootKey, token: granted.json.token };
    const delegated = await agentCall(root, "POST", "/v1/delegations", example("/v1/delegations"));
    expect(delegated.status, delegated.text).toBe(201);
    const authorized = await agentCall(root, "POST", "/v1/authorize", example("/v1/authorize"));
    expect(authorized.status, authorized.text).toBe(200);
    const held = await agentCall(root, "POST", "/v1/holds", example("/v1/holds"));
    expect(held.status, held.text).toBe(201);
    const captured = await agentCall(root, "POST", `/v1/holds/${held.json.id}/capture`, example("/v1/holds/{id}/capture"));
    expect(captured.status, captured.text).toBe(200);
  });
});
