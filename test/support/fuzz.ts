import fc from "fast-check";
import type { z } from "@hono/zod-openapi";
import { z as zod } from "zod";
import { generateAgentKey } from "@remit/sdk/keys";

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  $ref?: string;
};

/**
 * Values that reach past validation into the decision paths, by field name and
 * JSON type: mostly valid, sometimes subtly wrong.
 */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 12 }, { arbitrary: bad, weight: 1 });
const amounts = mostly(fc.bigInt({ min: 1n, max: 400n }).map(String), fc.constantFrom("0", "-1", "1.5", "1e3", "9".repeat(39), "0x10"));
const HINTS: Record<string, { type: string; arb: fc.Arbitrary<unknown> }> = {
  scope: {
    type: "string",
    arb: mostly(
      fc.constantFrom("http:GET:api.example.com/v1/x", "llm:invoke:gpt-5", "http:POST:api.example.com/x"),
      fc.constantFrom("http:GET:аpi.example.com/x", "x:y:z*", "a::b"),
    ),
  },
  scopes: {
    type: "array",
    arb: fc.array(
      mostly(fc.constantFrom("http:GET:api.example.com/*", "http:GET:api.example.com/v1/*", "llm:invoke:*"), fc.constantFrom("http:GET:api.‮moc", "x*y:z:w", "*:*:*")),
      { minLength: 1, maxLength: 3 },
    ),
  },
  asset: { type: "string", arb: mostly(fc.constant("USD"), fc.constantFrom("EUR", "usd", "USD$", "")) },
  value: { type: "string", arb: amounts },
  amount: { type: "string", arb: amounts },
  expires_at: { type: "string", arb: fc.integer({ min: -600, max: 30 * 3600 }).map((s) => new Date(Date.now() + s * 1000).toISOString()) },
  not_before: { type: "string", arb: fc.integer({ min: -7200, max: 7200 }).map((s) => new Date(Date.now() + s * 1000).toISOString()) },
  agent_jwk: {
    type: "object",
    arb: mostly(fc.constant(0), fc.constantFrom(1, 2)).map((i) =>
      i === 0 ? generateAgentKey().publicJwk : i === 1 ? generateAgentKey().privateJwk : { kty: "OKP", crv: "Ed25519", x: "short" },
    ),
  },
  request_digest: { type: "string", arb: mostly(fc.constant("a".repeat(64)), fc.string()) },
  // Long enough that no hold expires mid-run: an expiry between two snapshots would be time
  // changing state, not the refused request.
  expires_in: { type: "integer", arb: fc.integer({ min: 600, max: 7 * 86400 }) },
  period: { type: "string", arb: mostly(fc.constantFrom("hour", "day", "week", "month"), fc.constant("fortnight")) },
};

function arbitraryOf(schema: JsonSchema, name: string, depth: number): fc.Arbitrary<unknown> {
  const hint = HINTS[name];
  const type0 = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (hint && depth > 0 && (hint.type === type0 || (!type0 && hint.type === "object"))) return hint.arb;
  if (schema.anyOf ?? schema.oneOf) return fc.oneof(...(schema.anyOf ?? schema.oneOf)!.map((s) => arbitraryOf(s, name, depth)));
  if (schema.allOf?.length) return arbitraryOf(schema.allOf[0]!, name, depth);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string":
      if (schema.format === "date-time") return HINTS.expires_at!.arb;
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 20, 40) });
    case "integer":
      return fc.integer({ min: Math.max(schema.minimum ?? -1000, -1e9), max: Math.min(schema.maximum ?? 1000, 1e9) });
    case "number":
      return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(arbitraryOf(schema.items ?? {}, name, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case "object": {
      const props = schema.properties ?? {};
      const model = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, arbitraryOf(s, k, depth + 1)]));
      return fc.record(model, { requiredKeys: (schema.required ?? []).filter((k) => k in props) });
    }
    default:
      return fc.anything({ maxDepth: 2 });
  }
}

/**
 * Request bodies for a route, from its zod schema: mostly well-formed ones (so the
 * decision paths run), and each of those also broken in one place (a field replaced
 * by anything, a required field dropped, an unknown field added) or replaced by junk.
 */
export function bodiesFor(schema: z.ZodType): fc.Arbitrary<unknown> {
  const json = zod.toJSONSchema(schema as unknown as zod.ZodType, { unrepresentable: "any", io: "input" }) as JsonSchema;
  const valid = arbitraryOf(json, "", 0);
  const broken = fc
    .tuple(valid, fc.string({ maxLength: 12 }), fc.anything({ maxDepth: 3 }), fc.nat(5), fc.constantFrom("replace", "drop", "add"))
    .map(([v, key, junk, index, how]) => {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return junk;
      const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
      const keys = Object.keys(copy);
      const target = keys.length ? keys[index % keys.length]! : key;
      if (how === "replace") copy[target] = junk;
      else if (how === "drop") delete copy[target];
      else copy[key || "extra"] = junk;
      return copy;
    });
  return fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: broken, weight: 3 }, { arbitrary: fc.anything({ maxDepth: 3 }), weight: 1 });
}
