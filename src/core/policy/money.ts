/**
 * Money as people read it. The wire carries integer minor units ("1550"); a person
 * reads `$15.50`, `¥1,550` or `12.500000 USDC`. Fiat exponents are ISO 4217's; other
 * assets take theirs from a configured table (`ASSET_DECIMALS="USDC:6,ETH:18"`).
 * Pure: no floats anywhere, bigint all the way.
 */
import { ASSET_PATTERN, MAX_AMOUNT } from "./amounts";

/** ISO 4217 minor-unit exponents of the currencies people are likely to meter in. */
export const ISO_4217_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  AED: 2,
  AUD: 2,
  BHD: 3,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CLP: 0,
  CNY: 2,
  CZK: 2,
  DKK: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  HUF: 2,
  IDR: 2,
  ILS: 2,
  INR: 2,
  ISK: 0,
  JOD: 3,
  JPY: 0,
  KRW: 0,
  KWD: 3,
  MXN: 2,
  MYR: 2,
  NOK: 2,
  NZD: 2,
  OMR: 3,
  PHP: 2,
  PLN: 2,
  SAR: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TND: 3,
  TRY: 2,
  TWD: 2,
  UGX: 0,
  USD: 2,
  VND: 0,
  ZAR: 2,
});

/** Symbols written before the number (`$15.50`); every other asset is written after it (`15.50 CHF`). */
export const CURRENCY_SYMBOLS: Readonly<Record<string, string>> = Object.freeze({ USD: "$", EUR: "€", GBP: "£", JPY: "¥" });

/** Asset → number of decimals. */
export type DecimalsTable = Readonly<Record<string, number>>;

/** The most decimals an asset may have (ETH has 18; the amount itself has at most 38 digits). */
export const MAX_DECIMALS = 36;

/**
 * `ASSET_DECIMALS`: `USDC:6,ETH:18` (whitespace allowed). Throws a RangeError naming
 * the bad entry, so a misconfiguration is caught at start-up, not in a receipt.
 */
export function parseAssetDecimals(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!text?.trim()) return out;
  for (const raw of text.split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    const m = /^([A-Za-z][A-Za-z0-9_]{1,15})\s*:\s*(\d{1,2})$/.exec(entry);
    if (!m) throw new RangeError(`ASSET_DECIMALS: "${entry}" is not ASSET:DECIMALS (e.g. USDC:6)`);
    const decimals = Number(m[2]);
    if (decimals > MAX_DECIMALS) throw new RangeError(`ASSET_DECIMALS: "${entry}": at most ${MAX_DECIMALS} decimals`);
    out[m[1]!.toUpperCase()] = decimals;
  }
  return out;
}

/** The decimals of an asset: the configured table first, then ISO 4217; undefined when neither knows it. */
export function decimalsOf(asset: string, table: DecimalsTable = {}): number | undefined {
  if (Object.hasOwn(table, asset)) return table[asset];
  if (Object.hasOwn(ISO_4217_EXPONENTS, asset)) return ISO_4217_EXPONENTS[asset];
  return undefined;
}

const group = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/**
 * Integer minor units as a person reads them: `formatMoney("USD", 1550n, 2)` → `$15.50`,
 * `("JPY", 1550n, 0)` → `¥1,550`, `("USDC", 12500000n, 6)` → `12.500000 USDC`.
 * Without `decimals`, ISO 4217's exponent; for an asset nobody knows, the minor units
 * themselves (`1550 GPU_SECONDS`).
 */
export function formatMoney(asset: string, minor: bigint | string, decimals: number | undefined = decimalsOf(asset)): string {
  let v = typeof minor === "bigint" ? minor : BigInt(minor);
  const negative = v < 0n;
  if (negative) v = -v;
  const d = decimals ?? 0;
  const digits = v.toString().padStart(d + 1, "0");
  const whole = group(digits.slice(0, digits.length - d));
  const number = d > 0 ? `${whole}.${digits.slice(digits.length - d)}` : whole;
  const sign = negative ? "-" : "";
  const symbol = Object.hasOwn(CURRENCY_SYMBOLS, asset) ? CURRENCY_SYMBOLS[asset] : undefined;
  return symbol ? `${sign}${symbol}${number}` : `${sign}${number} ${asset}`;
}

const SYMBOL_ASSETS: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(Object.entries(CURRENCY_SYMBOLS).map(([a, s]) => [s, a])));

export interface Money {
  asset: string;
  /** Integer minor units. */
  value: bigint;
}

/**
 * An amount in major units with its asset, as a person types it: `12.50USD`,
 * `12.50 USD`, `USD 12.50`, `$12.50`, `¥1,550`, `12.5 USDC`. Refuses more fraction
 * digits than the asset has (no rounding, ever), a sign, and an asset whose
 * decimals are unknown unless the amount is whole (then taken as minor units of
 * a 0-decimal asset). Throws a RangeError that says why.
 */
export function parseMoney(text: string, table: DecimalsTable = {}): Money {
  const t = text.trim();
  let asset: string | undefined;
  let number: string | undefined;
  const symbolFirst = /^([$€£¥])\s*([0-9][0-9,_]*(?:\.[0-9]+)?)$/.exec(t);
  const assetLast = /^([0-9][0-9,_]*(?:\.[0-9]+)?)\s*([A-Za-z][A-Za-z0-9_]{1,15})$/.exec(t);
  const assetFirst = /^([A-Za-z][A-Za-z0-9_]{1,15})\s+([0-9][0-9,_]*(?:\.[0-9]+)?)$/.exec(t);
  if (symbolFirst) [asset, number] = [SYMBOL_ASSETS[symbolFirst[1]!], symbolFirst[2]];
  else if (assetLast) [number, asset] = [assetLast[1], assetLast[2]!.toUpperCase()];
  else if (assetFirst) [asset, number] = [assetFirst[1]!.toUpperCase(), assetFirst[2]];
  if (!asset || number === undefined) throw new RangeError(`"${text}" is not an amount with its asset, e.g. 12.50USD`);
  if (!ASSET_PATTERN.test(asset)) throw new RangeError(`"${text}": "${asset}" is not an asset code`);
  const [wholePart, fraction = ""] = number.split(".") as [string, string?];
  if (/,/.test(wholePart) && !/^\d{1,3}(,\d{3})*$/.test(wholePart)) throw new RangeError(`"${text}": misplaced thousands separator`);
  const whole = wholePart.replace(/[,_]/g, "");
  const decimals = decimalsOf(asset, table);
  if (decimals === undefined && fraction !== "") throw new RangeError(`"${text}": the decimals of ${asset} are not known; give the amount in minor units`);
  const d = decimals ?? 0;
  if (fraction.length > d) throw new RangeError(`"${text}": ${asset} has ${d === 0 ? "no" : `only ${d}`} decimal${d === 1 ? "" : "s"}, this has ${fraction.length}`);
  const value = BigInt(whole + fraction.padEnd(d, "0"));
  if (value > MAX_AMOUNT) throw new RangeError(`"${text}": too large`);
  return { asset, value };
}

/** One row of the asset table the service publishes. */
export interface AssetTableEntry {
  asset: string;
  decimals: number;
  symbol?: string;
}

/** ISO 4217 and the configured assets (configured ones win), sorted by code. */
export function assetTable(configured: DecimalsTable = {}): AssetTableEntry[] {
  const all: Record<string, number> = { ...ISO_4217_EXPONENTS, ...configured };
  return Object.keys(all)
    .sort()
    .map((asset) => {
      const symbol = Object.hasOwn(CURRENCY_SYMBOLS, asset) ? CURRENCY_SYMBOLS[asset] : undefined;
      return { asset, decimals: all[asset]!, ...(symbol ? { symbol } : {}) };
    });
}

/** How to write an amount that was sent wrong: what to do, and the exact string to send when one can be derived. */
export interface AmountAdvice {
  message: string;
  /** The string to send instead, when the intent is unambiguous (`12.50` with asset USD → `"1250"`). */
  suggestion?: string;
}

/** `minor` minor units written in major units with the asset's decimals: `1250n, 2` → `12.50`. */
function majorText(minor: bigint, decimals: number): string {
  const digits = minor.toString().padStart(decimals + 1, "0");
  return decimals > 0 ? `${digits.slice(0, digits.length - decimals)}.${digits.slice(digits.length - decimals)}` : digits;
}

/** A worked example in the asset's own decimals: `"1250" for 12.50 USD`, `"12500000" for 12.500000 USDC`, `"1250" for 1250 JPY`. */
export function amountExample(asset: string | undefined, table: DecimalsTable = {}): string {
  const d = asset === undefined ? undefined : decimalsOf(asset, table);
  if (asset === undefined || d === undefined) return `"1250" for 12.50 USD`;
  const minor = d === 0 ? 1250n : 1250n * 10n ** BigInt(Math.max(d - 2, 0));
  const shown = d === 1 ? 125n : minor;
  return `"${shown}" for ${majorText(shown, d)} ${asset}`;
}

const WIRE = "amounts are strings of integer minor units";

/**
 * Advice for an amount the wire refused: a JSON number, a fraction (`"12.50"`), a sign,
 * leading zeros or separators. `asset` is the asset in the same object, when there is
 * one; its decimals turn `12.50` into the exact string to send (`"1250"` for USD).
 * Never rounds: a fraction finer than the asset's decimals gets no suggestion.
 */
export function amountAdvice(input: unknown, asset: string | undefined, table: DecimalsTable = {}): AmountAdvice {
  const known = asset !== undefined && ASSET_PATTERN.test(asset) ? asset : undefined;
  const d = known === undefined ? undefined : decimalsOf(known, table);
  const example = amountExample(known, table);
  const decimalsSource = `the decimals of each asset are listed at GET /v1/assets`;

  /** A decimal in major units (`12.5`) as minor units of the asset, or advice why not. */
  const fromMajor = (text: string, lead: string): AmountAdvice => {
    if (known === undefined) return { message: `${lead}: for 12.50 in an asset with 2 decimals send "1250" (${decimalsSource})` };
    if (d === undefined) return { message: `${lead}: ${known} has no configured decimals, so its amounts count whole units (${decimalsSource}), e.g. "1250"` };
    const [whole, fraction = ""] = text.split(".") as [string, string?];
    if (fraction.length > d)
      return {
        message: `${lead}; ${known} has ${d === 0 ? "no" : d} decimal${d === 1 ? "" : "s"}, so ${text} ${known} is not a whole number of minor units, e.g. send ${example}`,
      };
    const minor = BigInt(whole + fraction.padEnd(d, "0"));
    if (minor > MAX_AMOUNT) return { message: `${lead}; ${text} ${known} is too large` };
    return { message: `${lead}: send "${minor}" (a string of minor units) for ${majorText(minor, d)} ${known}`, suggestion: minor.toString() };
  };

  if (typeof input === "number") {
    const lead = `${WIRE}, not JSON numbers`;
    if (!Number.isFinite(input) || input < 0) return { message: `${lead}, and never negative: e.g. send ${example}` };
    if (Number.isInteger(input)) {
      if (!Number.isSafeInteger(input)) return { message: `${lead} (a number this large has already lost digits): send the digits as a string, e.g. ${example}` };
      const minor = BigInt(input);
      const asMinor = `"${minor}"`;
      if (known !== undefined && d !== undefined && d > 0)
        return {
          message: `${lead}: send ${asMinor} for ${majorText(minor, d)} ${known}, or "${minor * 10n ** BigInt(d)}" for ${majorText(minor * 10n ** BigInt(d), d)} ${known}`,
          suggestion: minor.toString(),
        };
      return { message: `${lead}: send ${asMinor}`, suggestion: minor.toString() };
    }
    // A fraction: read it as major units, the way the number was most likely meant. Shortest round-trip text, never exponent form for these.
    const text = String(input);
    if (!/^\d+\.\d+$/.test(text)) return { message: `${lead}: e.g. send ${example}` };
    return fromMajor(text, lead);
  }
  if (typeof input !== "string") return { message: `${WIRE}: e.g. send ${example}` };
  if (/^\d+\.\d+$/.test(input)) return fromMajor(input, `${WIRE}, without a fraction`);
  if (/^-/.test(input)) return { message: `${WIRE} and never negative: e.g. send ${example}` };
  const digits = input.replace(/^\+/, "").replace(/[\s,_]/g, "");
  if (/^\d+$/.test(digits) && digits !== input) {
    const canonical = BigInt(digits).toString();
    return { message: `${WIRE}, digits only, without sign, spaces or separators: send "${canonical}"`, suggestion: canonical };
  }
  if (/^0\d+$/.test(input)) {
    const canonical = BigInt(input).toString();
    return { message: `${WIRE}, without leading zeros: send "${canonical}"`, suggestion: canonical };
  }
  return { message: `${WIRE}: digits only, without sign, leading zeros, fraction or exponent, e.g. send ${example}` };
}
