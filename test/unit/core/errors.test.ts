import { describe, expect, it } from "vitest";
import { problem, problemResponse } from "../../../src/core/errors";

describe("problemResponse", () => {
  it("keeps RFC 9457's members: an extension member by the same name never replaces them", async () => {
    const r = problemResponse(
      problem("hold-closed", "hold hld_x is voided", { status: "voided", type: "x", title: "x", detail: "x", hold: "hld_x" }),
      "https://remit.example",
    );
    expect(r.status).toBe(409);
    expect(await r.json()).toEqual({
      type: "https://remit.example/problems/hold-closed",
      title: "The hold is no longer open",
      status: 409,
      detail: "hold hld_x is voided",
      hold: "hld_x",
    });
  });
});
