import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newSecret, secretKey, signHeaders } from "../../../src/core/webhooks/sign";

const body = JSON.stringify({ id: "evt_1", type: "session.revoked", data: { note: "héllo ✓" } });
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe("newSecret", () => {
  it("is whsec_ + base64 of 32 random bytes, different every time", () => {
    const a = newSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(a)).toHaveLength(32);
    expect(newSecret()).not.toBe(a);
  });

  it("refuses malformed secrets", () => {
    expect(() => secretKey("sk_abc")).toThrow();
    expect(() => secretKey("whsec_")).toThrow();
    expect(() => secretKey("whsec_not base64!")).toThrow();
    expect(() => secretKey(`whsec_${btoa("short")}`)).toThrow(/24 to 64/);
  });
});

describe("signHeaders", () => {
  it("produces headers the standardwebhooks library verifies", async () => {
    const secret = newSecret();
    const ts = nowSeconds();
    const headers = await signHeaders(secret, "msg_abc", ts, body);
    expect(headers["webhook-id"]).toBe("msg_abc");
    expect(headers["webhook-timestamp"]).toBe(String(ts));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it("matches the library's own signature byte for byte", async () => {
    const secret = newSecret();
    const headers = await signHeaders(secret, "msg_x", 1_700_000_000, body);
    expect(headers["webhook-signature"]).toBe(new Webhook(secret).sign("msg_x", new Date(1_700_000_000_000), body));
  });

  it("fails verification when the body, id, timestamp or secret differ", async () => {
    const secret = newSecret();
    const ts = nowSeconds();
    const headers = await signHeaders(secret, "msg_abc", ts, body);
    const wh = new Webhook(secret);
    expect(() => wh.verify(body.replace("revoked", "granted"), { ...headers })).toThrow(WebhookVerificationError);
    expect(() => wh.verify(body, { ...headers, "webhook-id": "msg_other" })).toThrow(WebhookVerificationError);
    expect(() => wh.verify(body, { ...headers, "webhook-timestamp": String(ts - 1) })).toThrow(WebhookVerificationError);
    expect(() => new Webhook(newSecret()).verify(body, { ...headers })).toThrow(WebhookVerificationError);
  });

  it("carries both signatures during a rotation, and each secret verifies", async () => {
    const previous = newSecret();
    const current = newSecret();
    const headers = await signHeaders([current, previous], "msg_rot", nowSeconds(), body);
    const parts = headers["webhook-signature"].split(" ");
    expect(parts).toHaveLength(2);
    expect(parts.every((p) => p.startsWith("v1,"))).toBe(true);
    expect(new Webhook(current).verify(body, { ...headers })).toBeTruthy();
    expect(new Webhook(previous).verify(body, { ...headers })).toBeTruthy();
    expect(() => new Webhook(newSecret()).verify(body, { ...headers })).toThrow(WebhookVerificationError);
  });

  it("signs once per distinct secret", async () => {
    const secret = newSecret();
    const headers = await signHeaders([secret, secret], "msg_1", nowSeconds(), body);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(1);
  });

  it("refuses to sign without a secret, with a bad timestamp or message id", async () => {
    await expect(signHeaders([], "msg_1", 1, body)).rejects.toThrow(/secret/);
    await expect(signHeaders(newSecret(), "msg_1", 1.5, body)).rejects.toThrow(RangeError);
    await expect(signHeaders(newSecret(), "", 1, body)).rejects.toThrow(/message id/);
    await expect(signHeaders(newSecret(), "msg 1", 1, body)).rejects.toThrow(/message id/);
  });
});
