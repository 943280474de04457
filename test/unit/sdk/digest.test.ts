/**
 * The request digests the guards send, as a tool server or the MCP gateway recomputes them:
 * SHA-256 (lowercase hex) of the RFC 8785 canonical JSON of a small document.
 */
import { describe, expect, it } from "vitest";
import { httpRequestDigest, httpScope, toolCallDigest } from "@remit/sdk";

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("toolCallDigest", () => {
  describe("happy", () => {
    it('is SHA-256 of the canonical {"arguments","tool"} document', async () => {
      expect(await toolCallDigest("quote", { symbol: "ACME", size: 2, opts: [true, null] })).toBe(
        await sha256Hex('{"arguments":{"opts":[true,null],"size":2,"symbol":"ACME"},"tool":"quote"}'),
      );
    });

    it("does not depend on key order or whitespace; does depend on the name and every argument", async () => {
      const a = await toolCallDigest("quote", JSON.parse('{ "b": 1, "a": { "y": 2, "x": 1 } }'));
      expect(a).toBe(await toolCallDigest("quote", { a: { x: 1, y: 2 }, b: 1 }));
      expect(a).not.toBe(await toolCallDigest("quote2", { a: { x: 1, y: 2 }, b: 1 }));
      expect(a).not.toBe(await toolCallDigest("quote", { a: { x: 1, y: 2 }, b: 2 }));
      expect(a).toMatch(/^[0-9a-f]{64}$/);
    });

    it("a tool without arguments hashes them as null", async () => {
      expect(await toolCallDigest("ping", undefined)).toBe(await sha256Hex('{"arguments":null,"tool":"ping"}'));
    });
  });

  describe("error", () => {
    it("refuses what JSON cannot carry, and an empty name", async () => {
      await expect(toolCallDigest("x", { n: 1n })).rejects.toThrow(TypeError);
      await expect(toolCallDigest("x", { n: Number.NaN })).rejects.toThrow(TypeError);
      await expect(toolCallDigest("", {})).rejects.toThrow(TypeError);
    });
  });
});

describe("httpRequestDigest and httpScope", () => {
  describe("happy", () => {
    it('is SHA-256 of the canonical {"body_sha256"?,"method","url"} document', async () => {
      const body = new TextEncoder().encode('{"qty":1}');
      expect(await httpRequestDigest({ method: "post", url: "https://API.example.com/v1/orders?x=1#frag", body })).toBe(
        await sha256Hex(`{"body_sha256":"${await sha256Hex('{"qty":1}')}","method":"POST","url":"https://api.example.com/v1/orders?x=1"}`),
      );
      expect(await httpRequestDigest({ method: "GET", url: "https://api.example.com/v1/q" })).toBe(
        await sha256Hex('{"method":"GET","url":"https://api.example.com/v1/q"}'),
      );
    });

    it("the default scope is http:<METHOD>:<host><path>, canonical and without the query", () => {
      expect(httpScope({ method: "get", url: "https://API.Example.com:8443/v1/./a/../quotes?symbol=ACME" })).toBe("http:GET:api.example.com:8443/v1/quotes");
      expect(httpScope({ method: "POST", url: "https://api.example.com" })).toBe("http:POST:api.example.com/");
    });
  });

  describe("security", () => {
    it("dot segments, also percent-encoded, cannot climb out of a path in the scope", () => {
      expect(httpScope({ method: "GET", url: "https://api.example.com/v1/%2e%2e/admin" })).toBe("http:GET:api.example.com/admin");
    });
  });
});
