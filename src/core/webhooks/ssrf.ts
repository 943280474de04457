/**
 * Webhook URL checks against server-side request forgery. The URL is parsed with the
 * WHATWG parser first, which normalises every numeric host spelling (decimal
 * `2130706433`, octal `0177.0.0.1`, hex `0x7f.1`, short `127.1`) to a dotted quad and
 * every IPv6 spelling to its compressed form; the checks then look at that one form.
 *
 * Names that resolve to private addresses through public DNS cannot be caught here
 * (no DNS in Workers); deliveries never follow redirects, and Cloudflare refuses
 * egress to private ranges.
 */
import type { FieldError } from "../errors";

export interface UrlPolicy {
  /** Development only: allow loopback hosts, over http as well as https. */
  allowLoopback: boolean;
}

export const MAX_URL_LENGTH = 2048;

/** Why a host is refused; `null` when it is an ordinary public host. */
export type HostRule =
  | "loopback_address"
  | "private_address"
  | "link_local_address"
  | "unspecified_address"
  | "multicast_address"
  | "broadcast_address"
  | "reserved_address"
  | "ipv4_mapped_address"
  | "internal_hostname";

const MESSAGES: Record<HostRule, string> = {
  loopback_address: "must not point at a loopback address",
  private_address: "must not point at a private network address",
  link_local_address: "must not point at a link-local address (this includes cloud metadata services)",
  unspecified_address: "must not point at an unspecified address",
  multicast_address: "must not point at a multicast address",
  broadcast_address: "must not point at a broadcast address",
  reserved_address: "must not point at a reserved or non-routable address",
  ipv4_mapped_address: "must not use an IPv6 address that embeds an IPv4 address",
  internal_hostname: "must use a public, fully qualified host name",
};

const error = (rule: string, message: string): FieldError => ({ field: "url", rule, message: `url ${message}` });

export function checkWebhookUrl(url: string, { allowLoopback }: UrlPolicy): FieldError[] {
  if (url.length > MAX_URL_LENGTH) return [error("too_long", `must be at most ${MAX_URL_LENGTH} characters`)];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [error("invalid_url", "is not a valid absolute URL")];
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return [error("https_required", "must use https")];
  }
  if (parsed.hostname === "") return [error("invalid_url", "has no host")];

  const errors: FieldError[] = [];
  const rule = classifyHost(parsed.hostname);
  const loopbackAllowed = rule === "loopback_address" && allowLoopback;
  if (parsed.protocol === "http:" && !loopbackAllowed) {
    errors.push(error("https_required", allowLoopback ? "must use https (http is allowed only to loopback)" : "must use https"));
  }
  if (parsed.username !== "" || parsed.password !== "") {
    errors.push(error("userinfo", "must not contain a user name or password"));
  }
  if (rule !== null && !loopbackAllowed) errors.push(error(rule, MESSAGES[rule]));
  return errors;
}

/** Classify a WHATWG-normalised hostname (IPv6 in brackets). */
export function classifyHost(hostname: string): HostRule | null {
  if (hostname.startsWith("[")) {
    const groups = parseIPv6(hostname.slice(1, -1));
    return groups ? classifyIPv6(groups) : "reserved_address";
  }
  const v4 = parseIPv4(hostname);
  if (v4 !== null) return classifyIPv4(v4);
  return classifyName(hostname.replace(/\.+$/, ""));
}

// ---- names -----------------------------------------------------------------

const INTERNAL_SUFFIXES = ["local", "localdomain", "internal", "intranet", "corp", "home", "lan", "home.arpa"];

function classifyName(name: string): HostRule | null {
  if (name === "localhost" || name.endsWith(".localhost")) return "loopback_address";
  if (!name.includes(".")) return "internal_hostname";
  for (const suffix of INTERNAL_SUFFIXES) {
    if (name === suffix || name.endsWith(`.${suffix}`)) return "internal_hostname";
  }
  return null;
}

// ---- IPv4 ------------------------------------------------------------------

function parseIPv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
}

const v4 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** First match wins, so the broadcast address precedes 240.0.0.0/4. */
const IPV4_RANGES: [base: number, bits: number, rule: HostRule][] = [
  [v4(0, 0, 0, 0), 8, "unspecified_address"],
  [v4(10, 0, 0, 0), 8, "private_address"],
  [v4(100, 64, 0, 0), 10, "private_address"], // carrier-grade NAT
  [v4(127, 0, 0, 0), 8, "loopback_address"],
  [v4(169, 254, 0, 0), 16, "link_local_address"], // incl. 169.254.169.254 metadata
  [v4(172, 16, 0, 0), 12, "private_address"],
  [v4(192, 0, 0, 0), 24, "reserved_address"], // IETF protocol assignments
  [v4(192, 0, 2, 0), 24, "reserved_address"], // TEST-NET-1
  [v4(192, 88, 99, 0), 24, "reserved_address"], // 6to4 relay anycast
  [v4(192, 168, 0, 0), 16, "private_address"],
  [v4(198, 18, 0, 0), 15, "reserved_address"], // benchmarking
  [v4(198, 51, 100, 0), 24, "reserved_address"], // TEST-NET-2
  [v4(203, 0, 113, 0), 24, "reserved_address"], // TEST-NET-3
  [v4(224, 0, 0, 0), 4, "multicast_address"],
  [v4(255, 255, 255, 255), 32, "broadcast_address"],
  [v4(240, 0, 0, 0), 4, "reserved_address"],
];

function classifyIPv4(addr: number): HostRule | null {
  for (const [base, bits, rule] of IPV4_RANGES) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((addr & mask) >>> 0 === base) return rule;
  }
  return null;
}

// ---- IPv6 ------------------------------------------------------------------

/** Eight 16-bit groups, or null. Accepts `::` and a trailing dotted IPv4. */
export function parseIPv6(text: string): number[] | null {
  let s = text.toLowerCase();
  const tail: number[] = [];
  const dotted = /^(.*:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(s);
  if (dotted) {
    const addr = parseIPv4(dotted[2]!);
    if (addr === null) return null;
    tail.push(addr >>> 16, addr & 0xffff);
    s = dotted[1]!.endsWith("::") ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === "") return [];
    const groups = part.split(":");
    if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
    return groups.map((g) => parseInt(g, 16));
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return null;
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 1) return explicit === 8 ? [...head, ...tail] : null;
  if (explicit > 7) return null;
  return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tail];
}

function classifyIPv6(g: number[]): HostRule | null {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, , g7 = 0] = g;
  const zeroPrefix = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroPrefix(8)) return "unspecified_address";
  if (zeroPrefix(7) && g7 === 1) return "loopback_address";
  // IPv4-mapped ::ffff:0:0/96, IPv4-translated ::ffff:0:0:0/96, IPv4-compatible ::/96.
  if (zeroPrefix(5) && (g5 === 0xffff || g5 === 0)) return "ipv4_mapped_address";
  if (zeroPrefix(4) && g4 === 0xffff && g5 === 0) return "ipv4_mapped_address";
  // NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, Teredo 2001::/32.
  if (g0 === 0x64 && g1 === 0xff9b && (g2 === 1 || (g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0))) {
    return "ipv4_mapped_address";
  }
  if (g0 === 0x2002 || (g0 === 0x2001 && g1 === 0)) return "ipv4_mapped_address";
  if ((g0 & 0xffc0) === 0xfe80) return "link_local_address";
  if ((g0 & 0xfe00) === 0xfc00) return "private_address"; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfec0) return "private_address"; // site-local (deprecated)
  if ((g0 & 0xff00) === 0xff00) return "multicast_address";
  if (g0 === 0x2001 && g1 === 0xdb8) return "reserved_address"; // documentation
  if ((g0 & 0xe000) !== 0x2000) return "reserved_address"; // outside global unicast 2000::/3
  return null;
}
