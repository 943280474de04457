/** Settlement settings, shard mapping and error cleaning (src/core/settlement-config.ts): pure. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anchorSettings, cleanError, fnv1a, ledgerSettings, shardOf } from "../../src/core/settlement-config";
import { newTreeId } from "../../src/core/tree-ids";

const KEY = `0x${"ab".repeat(32)}`;
const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("ledger settings", () => {
  it("defaults, and a bad value falls back to the default rather than stopping the ledger", () => {
    expect(ledgerSettings({})).toEqual({ shards: 4, batchSize: 256, batchSeconds: 10, drainPaused: false });
    expect(ledgerSettings({ LEDGER_SHARDS: "16", LEDGER_BATCH_SIZE: "1000", LEDGER_BATCH_SECONDS: "0", LEDGER_DRAIN_PAUSED: "1" })).toEqual({
      shards: 16,
      batchSize: 1000,
      batchSeconds: 0,
      drainPaused: true,
    });
    for (const bad of ["0", "-1", "1.5", "lots", "1e9"]) expect(ledgerSettings({ LEDGER_SHARDS: bad }).shards).toBe(4);
    expect(ledgerSettings({ LEDGER_BATCH_SIZE: "0" }).batchSize).toBe(256);
  });
});

describe("anchor settings", () => {
  const full = { ANCHOR_RPC_URL: "https://rpc.example.com/v2/secret", ANCHOR_CONTRACT: CONTRACT, ANCHOR_PRIVATE_KEY: KEY };

  it("disabled without any of them, misconfigured with some, ready with all", () => {
    expect(anchorSettings({}).state).toBe("disabled");
    expect(anchorSettings({ ANCHOR_RPC_URL: "https://x" })).toMatchObject({ state: "misconfigured", reason: "missing ANCHOR_CONTRACT, ANCHOR_PRIVATE_KEY" });
    expect(anchorSettings(full)).toEqual({
      state: "ready",
      client: { rpcUrl: full.ANCHOR_RPC_URL, contract: CONTRACT.toLowerCase(), privateKey: KEY, confirmations: 1 },
      replaceAfterMs: 180_000,
    });
    expect(anchorSettings({ ...full, ANCHOR_CHAIN_ID: "8453", ANCHOR_CONFIRMATIONS: "3", ANCHOR_REPLACE_AFTER_SECONDS: "60" })).toMatchObject({
      client: { chainId: 8453, confirmations: 3 },
      replaceAfterMs: 60_000,
    });
  });

  it("names what is wrong, and never repeats the key", () => {
    for (const [vars, why] of [
      [{ ANCHOR_RPC_URL: "ftp://x" }, /http/],
      [{ ANCHOR_CONTRACT: "0x1234" }, /ANCHOR_CONTRACT/],
      [{ ANCHOR_PRIVATE_KEY: "0xnotakey" }, /ANCHOR_PRIVATE_KEY/],
      [{ ANCHOR_CHAIN_ID: "zero" }, /ANCHOR_CHAIN_ID/],
    ] as const) {
      const s = anchorSettings({ ...full, ...vars });
      expect(s.state).toBe("misconfigured");
      expect((s as { reason: string }).reason).toMatch(why);
      expect(JSON.stringify(s)).not.toContain("abab");
    }
  });
});

describe("shards", () => {
  it("FNV-1a 32 (test vectors) and a stable shard per tree", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 1024 }), (id, n) => {
        const s = shardOf(id, n);
        return Number.isInteger(s) && s >= 0 && s < n && s === shardOf(id, n);
      }),
    );
    expect(() => shardOf("tre_x", 0)).toThrow();
  });

  it("spreads real tree ids over the shards", () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardOf(newTreeId(), 4)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});

describe("cleanError", () => {
  it("keeps hosts, drops paths, queries and credentials of URLs, and viem's request dumps", () => {
    const viem = [
      "HTTP request failed.",
      "",
      "URL: https://eth-mainnet.g.alchemy.com/v2/SECRETKEY123?x=1",
      'Request body: {"method":"eth_sendRawTransaction","params":["0x02f8"]}',
      "",
      "Details: fetch failed",
      "Version: viem@2.57.20",
    ].join("\n");
    const clean = cleanError(viem);
    expect(clean).toBe("HTTP request failed. | URL: https://eth-mainnet.g.alchemy.com/… | Details: fetch failed");
    expect(cleanError("see wss://user:pass@node.example.org:8546/ws/key")).toBe("see wss://node.example.org:8546/…");
    expect(cleanError("x".repeat(2000)).length).toBe(500);
  });
});
