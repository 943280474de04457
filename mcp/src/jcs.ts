/**
 * RFC 8785 (JSON Canonicalization Scheme) for JSON values: object members sorted by
 * the UTF-16 code units of their names, no whitespace, numbers as ECMAScript writes
 * them, strings as JSON.stringify escapes them. The SDK exports no canonicalizer and
 * this package may not import the service's, so this is its own small one.
 *
 * Refused (TypeError), since they have no JSON form: non-finite numbers, lone
 * surrogates in strings, and anything that is not null, a boolean, a number, a
 * string, an array or a plain object.
 */
export function canonicalize(value: unknown): string {
  return write(value, "$");
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function string(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw new TypeError(`${path}: a string with a lone surrogate has no canonical JSON form`);
  return JSON.stringify(s);
}

function write(value: unknown, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} is not a JSON number`);
      // ECMAScript's Number-to-String is RFC 8785's number format (and -0 is written 0).
      return JSON.stringify(value);
    case "string":
      return string(value, path);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v, i) => write(v, `${path}[${i}]`)).join(",")}]`;
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new TypeError(`${path}: only plain objects have a JSON form`);
      const record = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, which is what RFC 8785 asks for.
      const names = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort();
      return `{${names.map((k) => `${string(k, path)}:${write(record[k], `${path}.${k}`)}`).join(",")}}`;
    }
    default:
      throw new TypeError(`${path}: a ${typeof value} has no JSON form`);
  }
}
