import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkWebhookUrl, classifyHost, parseIPv6 } from "../../../src/core/webhooks/ssrf";

const prod = { allowLoopback: false };
const dev = { allowLoopback: true };
const rules = (url: string, policy = prod) => checkWebhookUrl(url, policy).map((e) => e.rule);

describe("checkWebhookUrl: accepted", () => {
  it.each([
    "https://hooks.example.com/remit",
    "https://example.com",
    "https://example.com:8443/a/b?c=d#frag",
    "https://EXAMPLE.com./x",
    "https://xn--bcher-kva.example/", // IDN, already punycode
    "https://bücher.example/", // IDN, normalised by the parser
    "https://8.8.8.8/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://172.32.0.1/", // just outside 172.16/12
    "https://100.128.0.1/", // just outside 100.64/10
    "https://192.169.0.1/",
    "https://11.0.0.1/",
  ])("%s", (url) => {
    expect(checkWebhookUrl(url, prod)).toEqual([]);
  });

  it("every error names the url field", () => {
    for (const e of checkWebhookUrl("http://user:pw@10.0.0.1/", prod)) expect(e.field).toBe("url");
  });
});

describe("checkWebhookUrl: shape", () => {
  it.each([
    ["not a url", "invalid_url"],
    ["", "invalid_url"],
    ["/relative/path", "invalid_url"],
    ["https://", "invalid_url"],
    ["https://[fe80::1%25eth0]/", "invalid_url"],
    ["https://1.2.3.999/", "invalid_url"],
    ["https://exa mple.com/", "invalid_url"],
  ])("%j → %s", (url, rule) => {
    expect(rules(url)).toEqual([rule]);
  });

  it("refuses very long URLs", () => {
    expect(rules(`https://example.com/${"a".repeat(2100)}`)).toEqual(["too_long"]);
  });

  it.each(["http://example.com/", "ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)", "data:text/plain,hi", "ws://example.com/", "gopher://example.com/"])(
    "%s → https_required",
    (url) => {
      expect(rules(url)).toContain("https_required");
      expect(rules(url, dev)).toContain("https_required");
    },
  );

  it.each(["https://user@example.com/", "https://user:pass@example.com/", "https://:pass@example.com/", "https://example.com@10.0.0.1/"])("%s → userinfo", (url) => {
    expect(rules(url)).toContain("userinfo");
  });

  it("reports every problem at once", () => {
    expect(rules("http://u:p@10.1.2.3/")).toEqual(["https_required", "userinfo", "private_address"]);
  });
});

describe("checkWebhookUrl: addresses", () => {
  it.each([
    // private
    ["https://10.0.0.1/", "private_address"],
    ["https://10.255.255.255/", "private_address"],
    ["https://172.16.0.1/", "private_address"],
    ["https://172.31.255.255/", "private_address"],
    ["https://192.168.1.1/", "private_address"],
    ["https://100.64.0.1/", "private_address"],
    ["https://100.127.255.255/", "private_address"],
    ["https://[fc00::1]/", "private_address"],
    ["https://[fd12:3456:789a::1]/", "private_address"],
    ["https://[fec0::1]/", "private_address"],
    // loopback
    ["https://127.0.0.1/", "loopback_address"],
    ["https://127.255.255.254/", "loopback_address"],
    ["https://[::1]/", "loopback_address"],
    ["https://[0:0:0:0:0:0:0:1]/", "loopback_address"],
    ["https://localhost/", "loopback_address"],
    ["https://LOCALHOST./", "loopback_address"],
    ["https://api.localhost/", "loopback_address"],
    // link-local and metadata
    ["https://169.254.169.254/latest/meta-data/", "link_local_address"],
    ["https://169.254.0.1/", "link_local_address"],
    ["https://[fe80::1]/", "link_local_address"],
    ["https://[febf::1]/", "link_local_address"],
    // unspecified, multicast, broadcast, reserved
    ["https://0.0.0.0/", "unspecified_address"],
    ["https://0.1.2.3/", "unspecified_address"],
    ["https://[::]/", "unspecified_address"],
    ["https://224.0.0.1/", "multicast_address"],
    ["https://239.255.255.250/", "multicast_address"],
    ["https://[ff02::1]/", "multicast_address"],
    ["https://255.255.255.255/", "broadcast_address"],
    ["https://240.0.0.1/", "reserved_address"],
    ["https://192.0.2.1/", "reserved_address"],
    ["https://198.18.0.1/", "reserved_address"],
    ["https://[2001:db8::1]/", "reserved_address"],
    ["https://[100::1]/", "reserved_address"],
    // IPv6 forms embedding IPv4
    ["https://[::ffff:10.0.0.1]/", "ipv4_mapped_address"],
    ["https://[::ffff:127.0.0.1]/", "ipv4_mapped_address"],
    ["https://[::ffff:a9fe:a9fe]/", "ipv4_mapped_address"],
    ["https://[::ffff:8.8.8.8]/", "ipv4_mapped_address"],
    ["https://[::127.0.0.1]/", "ipv4_mapped_address"],
    ["https://[::ffff:0:10.0.0.1]/", "ipv4_mapped_address"],
    ["https://[64:ff9b::10.0.0.1]/", "ipv4_mapped_address"],
    ["https://[2002:a00:1::1]/", "ipv4_mapped_address"],
    ["https://[2001:0:4136:e378::1]/", "ipv4_mapped_address"],
  ])("%s → %s", (url, rule) => {
    expect(rules(url)).toEqual([rule]);
  });

  it.each([
    ["http://2130706433/", "127.0.0.1"],
    ["http://0x7f.1/", "127.0.0.1"],
    ["http://0177.0.0.1/", "127.0.0.1"],
    ["http://017700000001/", "127.0.0.1"],
    ["http://127.1/", "127.0.0.1"],
    ["http://0x7f000001/", "127.0.0.1"],
    ["https://167772161/", "10.0.0.1"],
    ["https://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254"],
    ["https://0251.0376.0251.0376/", "169.254.169.254"],
    ["https://2852039166/", "169.254.169.254"],
    ["https://0/", "0.0.0.0"],
    ["https://127.0.0.1./", "127.0.0.1"],
    ["https://[0:0:0:0:0:ffff:0a00:0001]/", "[::ffff:a00:1]"],
  ])("numeric spelling %s is normalised to %s before the check", (url, host) => {
    expect(new URL(url).hostname).toBe(host);
    expect(checkWebhookUrl(url, prod).length).toBeGreaterThan(0);
  });

  it("decimal and hex loopback spellings are refused as loopback", () => {
    expect(rules("https://2130706433/")).toEqual(["loopback_address"]);
    expect(rules("https://0x7f.1/")).toEqual(["loopback_address"]);
    expect(rules("https://2852039166/")).toEqual(["link_local_address"]);
  });
});

describe("checkWebhookUrl: host names", () => {
  it.each([
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://metadata.google.internal./",
    "https://service.internal/",
    "https://printer.local/",
    "https://nas.home.arpa/",
    "https://router.lan/",
    "https://db.localdomain/",
    "https://intranet/",
    "https://metadata/",
  ])("%s → internal_hostname", (url) => {
    expect(rules(url)).toEqual(["internal_hostname"]);
    expect(rules(url, dev)).toEqual(["internal_hostname"]);
  });

  it("does not confuse look-alike public names", () => {
    expect(rules("https://localhost.example.com/")).toEqual([]);
    expect(rules("https://internal.example.com/")).toEqual([]);
    expect(rules("https://mylocal.com/")).toEqual([]);
    expect(rules("https://10.0.0.1.example.com/")).toEqual([]);
  });
});

describe("checkWebhookUrl: development (allowLoopback)", () => {
  it.each([
    "http://127.0.0.1:8787/hook",
    "http://localhost:3000/",
    "http://app.localhost/",
    "http://[::1]:9000/",
    "https://127.0.0.1/",
    "http://2130706433/",
    "http://0x7f.1/",
  ])("allows %s", (url) => {
    expect(checkWebhookUrl(url, dev)).toEqual([]);
  });

  it.each([
    ["http://127.0.0.1/", ["https_required", "loopback_address"]],
    ["http://localhost/", ["https_required", "loopback_address"]],
    ["https://[::1]/", ["loopback_address"]],
  ])("refuses %s in production", (url, expected) => {
    expect(rules(url, prod)).toEqual(expected);
  });

  it("still refuses everything else", () => {
    expect(rules("http://10.0.0.1/", dev)).toEqual(["https_required", "private_address"]);
    expect(rules("https://169.254.169.254/", dev)).toEqual(["link_local_address"]);
    expect(rules("http://example.com/", dev)).toEqual(["https_required"]);
    expect(rules("http://[::ffff:127.0.0.1]/", dev)).toEqual(["https_required", "ipv4_mapped_address"]);
    expect(rules("http://user@localhost/", dev)).toEqual(["userinfo"]);
  });
});

describe("address parsing", () => {
  it("parses IPv6 spellings", () => {
    expect(parseIPv6("::")).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6("::1")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6("fe80::")).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6("::ffff:10.0.0.1")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a00, 1]);
    expect(parseIPv6("1:2:3:4:5:6:1.2.3.4")).toEqual([1, 2, 3, 4, 5, 6, 0x0102, 0x0304]);
    expect(parseIPv6("1::2::3")).toBeNull();
    expect(parseIPv6("1:2:3:4:5:6:7:8:9")).toBeNull();
    expect(parseIPv6("1:2:3:4:5:6:7:8::")).toBeNull();
    expect(parseIPv6("12345::")).toBeNull();
  });

  it("every private IPv4 address is refused however it is spelled", () => {
    const inRange = fc.oneof(
      fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), fc.nat(255), fc.nat(255)),
    );
    fc.assert(
      fc.property(inRange, fc.constantFrom("dotted", "decimal", "hex", "octal"), ([a, b, c, d], form) => {
        const n = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
        const host =
          form === "dotted"
            ? `${a}.${b}.${c}.${d}`
            : form === "decimal"
              ? String(n)
              : form === "hex"
                ? `0x${n.toString(16)}`
                : [a, b, c, d].map((o) => `0${o.toString(8)}`).join(".");
        expect(rules(`https://${host}/`)).toEqual(["private_address"]);
        expect(rules(`https://${host}/`, dev)).toEqual(["private_address"]);
      }),
    );
  });

  it("any IPv4-mapped IPv6 address is refused", () => {
    fc.assert(
      fc.property(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), (a, b, c, d) => {
        expect(rules(`https://[::ffff:${a}.${b}.${c}.${d}]/`, dev)).toEqual(["ipv4_mapped_address"]);
      }),
    );
  });

  it("classifies public hosts as fine", () => {
    expect(classifyHost("example.com")).toBeNull();
    expect(classifyHost("1.1.1.1")).toBeNull();
    expect(classifyHost("[2a00:1450:4001:82a::200e]")).toBeNull();
  });
});
