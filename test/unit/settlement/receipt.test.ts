import * as ed from "@noble/ed25519";
import { describe, expect, it } from "vitest";
import { b64urlDecode, b64urlEncode, hex, utf8 } from "../../../src/core/encoding";
import { canonicalize } from "../../../src/core/receipts/jcs";
import { leafHash } from "../../../src/core/receipts/merkle";
import {
  publicJwkOf,
  receiptLeaf,
  receiptProblem,
  seedSigner,
  signReceipt,
  signReceiptSync,
  verifyReceiptSignature,
  type Receipt,
  type SignedReceipt,
} from "../../../src/core/receipts/receipt";
import { sampleReceipt } from "./fixtures";

const seed = new Uint8Array(32).map((_, i) => i + 1);
const otherSeed = new Uint8Array(32).map((_, i) => 200 - i);
const jwk = publicJwkOf(seed);

describe("receipts", () => {
  it("round trip: sign, then verify with the public JWK", async () => {
    const signed = await signReceipt(sampleReceipt(), seed);
    expect(signed.bytes).toBe(canonicalize(sampleReceipt()));
    expect(signed.bytes.startsWith('{"amount":"1250","asset":"usd","at":')).toBe(true);
    expect(b64urlDecode(signed.signature)).toHaveLength(64);
    expect(signed.leaf_hash).toBe(hex(leafHash(utf8(signed.bytes))));
    expect(hex(receiptLeaf(signed.bytes))).toBe(signed.leaf_hash);
    expect(verifyReceiptSignature(signed, jwk)).toBe(true);
    // the signature is plain Ed25519 over utf8(bytes)
    expect(ed.verify(b64urlDecode(signed.signature), utf8(signed.bytes), b64urlDecode(jwk.x))).toBe(true);
  });

  it("sync, async-with-seed and Signer (WebCrypto) give the same bytes and signature", async () => {
    const a = signReceiptSync(sampleReceipt(), seed);
    const b = await signReceipt(sampleReceipt(), seed);
    const c = await signReceipt(sampleReceipt(), seedSigner(seed));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    const survived = JSON.parse(JSON.stringify(a)) as SignedReceipt;
    expect(verifyReceiptSignature(survived, jwk)).toBe(true);
  });

  it("one byte changed fails, wherever it is", async () => {
    const signed = await signReceipt(sampleReceipt(), seed);
    for (let i = 0; i < signed.bytes.length; i++) {
      const code = signed.bytes.charCodeAt(i);
      const bytes = signed.bytes.slice(0, i) + String.fromCharCode(code === 0x31 ? 0x32 : 0x31) + signed.bytes.slice(i + 1);
      expect(verifyReceiptSignature({ ...signed, bytes }, jwk)).toBe(false);
    }
    // the receipt object changed (bytes kept) — what a reader sees must be what was signed
    expect(verifyReceiptSignature({ ...signed, receipt: { ...signed.receipt, amount: "1251" } }, jwk)).toBe(false);
    // the signature changed
    const sig = b64urlDecode(signed.signature);
    for (const i of [0, 31, 32, 63]) {
      const bad = sig.slice();
      bad[i]! ^= 0x01;
      expect(verifyReceiptSignature({ ...signed, signature: b64urlEncode(bad) }, jwk)).toBe(false);
    }
  });

  it("a signature by another key fails", async () => {
    const byOther = await signReceipt(sampleReceipt(), otherSeed);
    expect(verifyReceiptSignature(byOther, jwk)).toBe(false);
    expect(verifyReceiptSignature(byOther, publicJwkOf(otherSeed))).toBe(true);
  });

  it("malformed keys and signatures are false, not exceptions", async () => {
    const signed = await signReceipt(sampleReceipt(), seed);
    expect(verifyReceiptSignature(signed, { ...jwk, x: "not base64url!" })).toBe(false);
    expect(verifyReceiptSignature(signed, { ...jwk, x: jwk.x.slice(0, 20) })).toBe(false);
    expect(verifyReceiptSignature(signed, { ...jwk, crv: "X25519" as "Ed25519" })).toBe(false);
    expect(verifyReceiptSignature({ ...signed, signature: "" }, jwk)).toBe(false);
    expect(verifyReceiptSignature({ ...signed, bytes: 7 as unknown as string }, jwk)).toBe(false);
  });

  it("refuses to sign a malformed receipt", async () => {
    const bad: Array<[Partial<Receipt> | Record<string, unknown>, RegExp]> = [
      [{ v: 2 as 1 }, /"v"/],
      [{ id: "ses_x" }, /"id"/],
      [{ kind: "refund" as "void" }, /"kind"/],
      [{ amount: "12.50" }, /"amount"/],
      [{ amount: "-1" }, /"amount"/],
      [{ amount: "007" }, /"amount"/],
      [{ seq: 1.5 }, /"seq"/],
      [{ at: "2026-11-26T03:18:00Z" }, /"at"/],
      [{ at: "2026-11-26T03:18:00.123+01:00" }, /"at"/],
      [{ path: [] }, /"path"/],
      [{ path: ["ses_root"] }, /"path"/],
      [{ scope: 3 as unknown as string }, /"scope"/],
      [{ extra: 1 }, /unknown member "extra"/],
    ];
    for (const [overrides, message] of bad) {
      const receipt = { ...sampleReceipt(), ...overrides } as Receipt;
      expect(receiptProblem(receipt)).toMatch(message);
      await expect(signReceipt(receipt, seed)).rejects.toThrow(message);
      expect(() => signReceiptSync(receipt, seed)).toThrow(message);
    }
    const missing = sampleReceipt() as Partial<Receipt>;
    delete missing.hold;
    expect(receiptProblem(missing)).toMatch(/missing member "hold"/);
    expect(receiptProblem(sampleReceipt({ kind: "denial", amount: null, asset: null, reason: "budget-exceeded" }))).toBeNull();
    await expect(signReceipt(sampleReceipt(), new Uint8Array(31))).rejects.toThrow(/32 bytes/);
  });
});

describe("receipts: charged_to (the windows a committed amount was charged to)", () => {
  const window = { session: "ses_root", asset: "usd", period: "hour" as const, window_start: "2026-11-26T03:00:00.000Z" };

  it("signs and verifies a receipt with charged_to, and the member is part of the signed bytes", async () => {
    const signed = await signReceipt(sampleReceipt({ charged_to: [window] }), seed);
    expect(verifyReceiptSignature(signed, jwk)).toBe(true);
    expect(signed.bytes).toContain('"charged_to":[{"asset":"usd","period":"hour","session":"ses_root","window_start":"2026-11-26T03:00:00.000Z"}]');
    const moved = { ...signed, receipt: { ...signed.receipt, charged_to: [{ ...window, window_start: "2026-11-26T04:00:00.000Z" }] } };
    expect(verifyReceiptSignature(moved, jwk)).toBe(false);
  });

  it("still parses, signs and verifies a receipt without it (signed before it existed)", async () => {
    const old = sampleReceipt();
    expect("charged_to" in old).toBe(false);
    expect(receiptProblem(old)).toBeNull();
    const signed = await signReceipt(old, seed);
    expect(signed.bytes).not.toContain("charged_to");
    expect(verifyReceiptSignature(signed, jwk)).toBe(true);
  });

  it("refuses a malformed charged_to, naming the member and rule", () => {
    const bad: Array<[Partial<Receipt> | Record<string, unknown>, RegExp]> = [
      [{ charged_to: "hour" }, /"charged_to" must be an array/],
      [{ charged_to: [null] }, /entries must be objects/],
      [{ charged_to: [{ ...window, extra: 1 }] }, /unknown member "charged_to.extra"/],
      [{ charged_to: [{ session: "ses_root", asset: "usd", period: "hour" }] }, /missing member "charged_to.window_start"/],
      [{ charged_to: [{ ...window, session: "ses_other" }] }, /"charged_to.session" must be a session of "path"/],
      [{ charged_to: [{ ...window, asset: "eur" }] }, /"charged_to.asset"/],
      [{ charged_to: [{ ...window, period: "life" }] }, /"charged_to.period"/],
      [{ charged_to: [{ ...window, window_start: "2026-11-26T03:00:00Z" }] }, /"charged_to.window_start"/],
      [{ kind: "void", charged_to: [window] }, /only to a receipt that commits an amount/],
      [{ kind: "denial", reason: "budget-exceeded", amount: null, charged_to: [] }, /only to a receipt that commits an amount/],
    ];
    for (const [overrides, message] of bad) expect(receiptProblem({ ...sampleReceipt(), ...overrides })).toMatch(message);
    expect(receiptProblem(sampleReceipt({ kind: "capture", hold: "hld_x", charged_to: [] }))).toBeNull();
  });
});
