/**
 * Amounts are decimal strings of integer minor units ("1250" = 12.50 USD),
 * never floats. One canonical spelling per value — no sign, no leading zeros,
 * no fraction, exponent or whitespace — so the same amount always has the same
 * bytes in a receipt and in an idempotency fingerprint.
 */

export type AmountRule = "amount_type" | "amount_format" | "amount_digits" | "amount_positive";

export type ParseAmountResult = { ok: true; value: bigint } | { ok: false; rule: AmountRule; message: string };

export const MAX_AMOUNT_DIGITS = 38;
/** The largest amount: 38 nines. Fits a DECIMAL(38) and a uint128. */
export const MAX_AMOUNT = 10n ** 38n - 1n;

/**
 * The message of an amount that is not a string. Amount schemas give it to zod's type
 * check too, so the problem mapping knows an amount sent as a JSON number by it and says
 * how to write it (`amountAdvice`).
 */
export const AMOUNT_TYPE_MESSAGE = "an amount is a string of digits";

const CANONICAL = /^(?:0|[1-9][0-9]*)$/;

export function parseAmount(text: unknown, opts?: { positive?: boolean }): ParseAmountResult {
  if (typeof text !== "string") {
    return { ok: false, rule: "amount_type", message: AMOUNT_TYPE_MESSAGE };
  }
  // Format first, so only canonical digit strings reach the length rule and
  // BigInt() (which would accept " 1", "0x1" or "1_0"-free oddities like "+1").
  if (!CANONICAL.test(text)) {
    return {
      ok: false,
      rule: "amount_format",
      message: "an amount is a whole number of minor units in digits, without sign, leading zeros or fraction",
    };
  }
  if (text.length > MAX_AMOUNT_DIGITS) {
    return { ok: false, rule: "amount_digits", message: `an amount has at most ${MAX_AMOUNT_DIGITS} digits` };
  }
  const value = BigInt(text);
  if (opts?.positive && value === 0n) {
    return { ok: false, rule: "amount_positive", message: "the amount must be greater than 0" };
  }
  return { ok: true, value };
}

/** The canonical string of an amount; refuses values that could not be parsed back. */
export function formatAmount(v: bigint): string {
  if (typeof v !== "bigint" || v < 0n || v > MAX_AMOUNT) {
    throw new RangeError(`amount out of range: ${String(v)}`);
  }
  return v.toString(10);
}

/** Asset codes: USD, USDC, GPU_SECONDS. Upper case so there is one spelling. */
export const ASSET_PATTERN = /^[A-Z][A-Z0-9_]{1,15}$/;

export function isAsset(s: unknown): s is string {
  return typeof s === "string" && ASSET_PATTERN.test(s);
}
