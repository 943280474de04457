import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { isDashboardPath } from "../../src/dashboard/routes";
import { PROBLEMS } from "../../src/core/errors";
import { call } from "../support/harness";

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
      .routes.filter((r) => r.method !== "ALL" && !["/openapi.json", "/docs", "/problems/:name"].includes(r.path) && !isDashboardPath(r.path))
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
