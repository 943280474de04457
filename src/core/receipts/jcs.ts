/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * - object members sorted by their names as UTF-16 code unit sequences (§3.2.3),
 * - numbers serialized as ECMAScript `Number.prototype.toString` does (§3.2.2.3),
 *   non-finite numbers refused,
 * - strings escaped as ECMAScript `JSON.stringify` does (§3.2.2.2); lone surrogates
 *   refused (I-JSON, RFC 7493 §2.1),
 * - no whitespace.
 *
 * Like `JSON.stringify`: `toJSON()` is honoured, object members whose value is
 * `undefined`, a function or a symbol are dropped, and such array elements become
 * `null`. Unlike it: bigints, non-finite numbers, lone surrogates and cycles throw,
 * and a top-level value that would serialize to nothing throws.
 */
export function canonicalize(value: unknown): string {
  const out = serialize(value, new Set());
  if (out === undefined) throw new TypeError("JCS: value has no JSON representation");
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function serialize(input: unknown, seen: Set<object>): string | undefined {
  let value = input;
  if (typeof value === "object" && value !== null && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  // Boxed primitives serialize as their primitive value, as in JSON.stringify.
  if (value instanceof Number || value instanceof String || value instanceof Boolean) value = value.valueOf();
  switch (typeof value) {
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`JCS: ${value} is not a valid JSON number`);
      return JSON.stringify(value); // ES Number::toString; -0 → "0"
    case "bigint":
      throw new TypeError("JCS: bigint has no JSON representation (encode it as a string)");
    case "string":
      return quote(value);
  }
  if (value === null) return "null";
  const obj = value as object;
  if (seen.has(obj)) throw new TypeError("JCS: cyclic structure");
  seen.add(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = `[${obj.map((item) => serialize(item, seen) ?? "null").join(",")}]`;
  } else {
    const record = obj as Record<string, unknown>;
    const members: string[] = [];
    // Default sort compares UTF-16 code units, which is what §3.2.3 asks for.
    for (const key of Object.keys(record).sort()) {
      const member = serialize(record[key], seen);
      if (member !== undefined) members.push(`${quote(key)}:${member}`);
    }
    out = `{${members.join(",")}}`;
  }
  seen.delete(obj);
  return out;
}

function quote(s: string): string {
  if (LONE_SURROGATE.test(s)) throw new TypeError("JCS: string contains a lone surrogate");
  return JSON.stringify(s);
}
