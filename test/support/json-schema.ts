/**
 * A small JSON Schema (2020-12) validator for the subset the served OpenAPI document uses,
 * so tests can check bodies against the document itself rather than the zod that made it.
 * Objects are closed by default: a field the schema does not name is an error, so a body
 * cannot carry anything the document leaves out. An unknown keyword throws rather than
 * being skipped, so the subset cannot shrink silently.
 */

type Schema = boolean | Record<string, unknown>;
type Doc = { components?: { schemas?: Record<string, Schema> } };

const CHECKED = new Set([
  "$ref",
  "type",
  "enum",
  "const",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "prefixItems",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "allOf",
  "anyOf",
  "oneOf",
]);
// Annotations: they say nothing about validity (`discriminator` only speeds up oneOf).
const ANNOTATIONS = new Set(["description", "example", "examples", "title", "default", "deprecated", "readOnly", "discriminator"]);

export function validate(doc: Doc, schema: Schema, value: unknown, path = "$"): string[] {
  return check(doc, schema, value, path, true);
}

function resolve(doc: Doc, ref: string): Schema {
  const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
  const target = name ? doc.components?.schemas?.[name] : undefined;
  if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
  return target;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function typeOf(v: unknown): string[] {
  if (v === null) return ["null"];
  if (Array.isArray(v)) return ["array"];
  if (typeof v === "number") return Number.isInteger(v) ? ["integer", "number"] : ["number"];
  return [typeof v];
}

/** The property names a schema (through $ref and allOf) allows, or null when it allows any. */
function known(doc: Doc, schema: Schema): Set<string> | null {
  if (typeof schema === "boolean") return schema ? null : new Set();
  if (typeof schema.$ref === "string") return known(doc, resolve(doc, schema.$ref));
  if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) return null;
  const names = new Set(Object.keys((schema.properties as Record<string, unknown>) ?? {}));
  for (const branch of (schema.allOf as Schema[]) ?? []) {
    const more = known(doc, branch);
    if (more === null) return null;
    for (const n of more) names.add(n);
  }
  return names;
}

function check(doc: Doc, schema: Schema, value: unknown, path: string, closed: boolean): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: no value is allowed here`];
  for (const key of Object.keys(schema)) if (!CHECKED.has(key) && !ANNOTATIONS.has(key)) throw new Error(`${path}: unsupported JSON Schema keyword ${key}`);
  const errors: string[] = [];
  if (typeof schema.$ref === "string") errors.push(...check(doc, resolve(doc, schema.$ref), value, path, closed));

  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!typeOf(value).some((t) => allowed.includes(t))) return [...errors, `${path}: ${JSON.stringify(value)} is not ${allowed.join(" or ")}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) errors.push(`${path}: is not ${JSON.stringify(schema.const)}`);

  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && [...value].length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === "number" && [...value].length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) errors.push(`${path}: does not match ${schema.pattern}`);
    if (schema.format === "date-time" && Number.isNaN(Date.parse(value))) errors.push(`${path}: is not a date-time`);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === "number" && value <= schema.exclusiveMinimum) errors.push(`${path}: not above ${schema.exclusiveMinimum}`);
    if (typeof schema.exclusiveMaximum === "number" && value >= schema.exclusiveMaximum) errors.push(`${path}: not below ${schema.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
    const prefix = (schema.prefixItems as Schema[]) ?? [];
    value.forEach((item, i) => {
      const s = i < prefix.length ? prefix[i] : (schema.items as Schema | undefined);
      if (s !== undefined) errors.push(...check(doc, s, item, `${path}[${i}]`, true));
    });
  }
  if (isObject(value)) {
    for (const name of (schema.required as string[]) ?? []) if (!(name in value)) errors.push(`${path}: missing ${name}`);
    const properties = (schema.properties as Record<string, Schema>) ?? {};
    for (const [name, v] of Object.entries(value)) {
      if (name in properties) errors.push(...check(doc, properties[name]!, v, `${path}.${name}`, true));
      else if (isObject(schema.additionalProperties) || typeof schema.additionalProperties === "boolean")
        errors.push(...check(doc, schema.additionalProperties as Schema, v, `${path}.${name}`, true));
    }
    // Closed objects: checked where the whole shape is known (an allOf's branches each see only part of it).
    if (closed && schema.$ref === undefined && (schema.properties !== undefined || schema.allOf !== undefined)) {
      const names = known(doc, schema);
      if (names) for (const name of Object.keys(value)) if (!names.has(name)) errors.push(`${path}: ${name} is not in the schema`);
    }
  }

  for (const branch of (schema.allOf as Schema[]) ?? []) errors.push(...check(doc, branch, value, path, false));
  if (Array.isArray(schema.anyOf)) {
    const results = (schema.anyOf as Schema[]).map((b) => check(doc, b, value, path, true));
    if (!results.some((r) => r.length === 0)) errors.push(`${path}: matches no anyOf branch (${results.map((r) => r[0]).join(" | ")})`);
  }
  if (Array.isArray(schema.oneOf)) {
    const results = (schema.oneOf as Schema[]).map((b) => check(doc, b, value, path, true));
    const matched = results.filter((r) => r.length === 0).length;
    if (matched !== 1) errors.push(`${path}: matches ${matched} oneOf branches, not 1 (${results.map((r) => r[0] ?? "ok").join(" | ")})`);
  }
  return errors;
}
