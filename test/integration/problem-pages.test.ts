/**
 * The pages problem `type` URLs point at: one per problem type, saying what it means, its
 * common causes, how to fix it and an example body; HTML for people, JSON on request.
 */
import { describe, expect, it } from "vitest";
import { PROBLEMS } from "../../src/core/errors";
import { STRICT_PAGE_CSP } from "../../src/middleware/security-headers";
import { validate } from "../support/json-schema";
import { BASE, call, createPrincipal, problemName } from "../support/harness";

const NAMES = Object.keys(PROBLEMS);
const SECTIONS = ["meaning", "causes", "fix", "example"];

describe("problem pages: happy", () => {
  it("serves every problem type a page with its four sections, code rendered as code", async () => {
    for (const name of NAMES) {
      const r = await call("GET", `/problems/${name}`);
      expect(r.status, name).toBe(200);
      expect(r.headers.get("content-type"), name).toMatch(/^text\/html/);
      expect(r.text, name).toContain(PROBLEMS[name as keyof typeof PROBLEMS].title);
      for (const id of SECTIONS) expect(r.text, `${name} #${id}`).toMatch(new RegExp(`<section id="${id}"><h2>[^<]+</h2>(?:<p>|<ul><li>|<ol><li>)`));
      // The text marks code with backticks; the page shows none of them.
      expect(r.text, name).not.toContain("`");
      expect(r.text, name).toContain("<code>");
      // The style sheet is the page's own text, not escaped.
      expect(r.text, name).toContain('"Segoe UI"');
    }
  });

  it("answers Accept: application/json (or problem+json) with the same content as JSON, whose example is a valid problem body", async () => {
    const doc = (await call("GET", "/openapi.json")).json;
    for (const accept of ["application/json", "application/problem+json"])
      for (const name of NAMES) {
        const r = await call("GET", `/problems/${name}`, { headers: { accept } });
        expect(r.status, name).toBe(200);
        expect(r.headers.get("content-type"), name).toMatch(/^application\/json/);
        const { status, title } = PROBLEMS[name as keyof typeof PROBLEMS];
        expect(r.json).toMatchObject({ name, type: `${BASE}/problems/${name}`, title, status });
        expect(r.json.meaning.length, name).toBeGreaterThan(20);
        expect(r.json.causes.length, name).toBeGreaterThan(0);
        expect(r.json.fix.length, name).toBeGreaterThan(0);
        expect(r.json.example).toMatchObject({ type: r.json.type, title, status });
        expect(r.json.example.detail.length, name).toBeGreaterThan(0);
        // Problem allows extension members; the example must still be a Problem.
        expect(validate(doc, { ...doc.components.schemas.Problem, additionalProperties: true }, r.json.example), name).toEqual([]);
      }
  });

  it("lists every problem type at /problems, as HTML and as JSON", async () => {
    const page = await call("GET", "/problems");
    expect(page.status).toBe(200);
    for (const name of NAMES) expect(page.text).toContain(`href="/problems/${name}"`);
    const list = await call("GET", "/problems", { headers: { accept: "application/json" } });
    expect(list.json.data.map((p: { name: string }) => p.name)).toEqual(NAMES);
    expect(list.json.data[0]).toEqual({ name: NAMES[0], type: `${BASE}/problems/${NAMES[0]}`, title: expect.any(String), status: expect.any(Number) });
  });

  it("resolves the type URL of real problem bodies to a page", async () => {
    const p = await createPrincipal();
    const answers = [
      await call("POST", "/v1/sessions", { headers: { authorization: `Bearer ${p.apiKey}` }, body: {} }),
      await call("GET", "/v1/api-keys"),
      await call("GET", "/v1/nothing-here"),
      await call("PUT", "/v1/sessions"),
      await call("POST", "/v1/sessions", { headers: { authorization: `Bearer ${p.apiKey}`, "content-type": "text/plain" }, body: "x" }),
    ];
    expect(answers.map(problemName)).toEqual(["validation-failed", "unauthenticated", "not-found", "method-not-allowed", "unsupported-media-type"]);
    for (const a of answers) {
      const url = new URL(a.json.type);
      expect(url.origin).toBe(BASE);
      const page = await call("GET", url.pathname);
      expect(page.status, a.json.type).toBe(200);
      expect(page.text).toContain(a.json.title);
    }
  });
});

describe("problem pages: error", () => {
  it("answers an unknown name, or an inherited property name, with not-found", async () => {
    for (const name of ["no-such-problem", "constructor", "__proto__", "toString"]) {
      const r = await call("GET", `/problems/${name}`);
      expect(r.status, name).toBe(404);
      expect(problemName(r)).toBe("not-found");
    }
  });
});

describe("problem pages: security", () => {
  it("takes the strict page policy: nothing loaded, no script, never framed, no sniffing", async () => {
    for (const path of ["/problems", "/problems/budget-exceeded"]) {
      const r = await call("GET", path);
      expect(r.headers.get("content-security-policy")).toBe(STRICT_PAGE_CSP);
      expect(r.headers.get("x-frame-options")).toBe("DENY");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(r.headers.get("referrer-policy")).toBe("no-referrer");
      expect(r.headers.get("vary")).toMatch(/accept/i);
      expect(r.text).not.toMatch(/<script|<link|<img|<iframe|\son\w+=/i);
    }
  });

  it("escapes what it shows: the JSON example's quotes and angle brackets are text, not markup", async () => {
    const r = await call("GET", "/problems/validation-failed");
    expect(r.text).toContain("&quot;1250&quot;");
    expect(r.text).not.toContain('"1250"');
  });
});
