import { describe, expect, it } from "vitest";
import { describeLeft } from "../../../src/core/time-left";

describe("describeLeft", () => {
  it("says the two largest units a person needs, and passed once it is over", () => {
    expect(describeLeft(0)).toBe("passed");
    expect(describeLeft(-5)).toBe("passed");
    expect(describeLeft(999)).toBe("in 0s");
    expect(describeLeft(59_000)).toBe("in 59s");
    expect(describeLeft(61_000)).toBe("in 1m 1s");
    expect(describeLeft(2 * 3_600_000 + 5 * 60_000 + 9_000)).toBe("in 2h 5m");
    expect(describeLeft(3 * 86_400_000 + 4 * 3_600_000)).toBe("in 3d 4h");
  });
});
