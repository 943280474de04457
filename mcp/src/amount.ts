/**
 * `amount_from`: the argument (a dot path) that holds a call's amount in minor units.
 * A decimal string of an integer, or a safe non-negative integer number; anything else
 * is refused before the call goes anywhere, with what to send instead.
 */
export type AmountRead = { ok: true; value: string } | { ok: false; message: string };

export function readAmount(args: Record<string, unknown>, path: string): AmountRead {
  let here: unknown = args;
  for (const part of path.split(".")) {
    if (typeof here !== "object" || here === null || Array.isArray(here) || !Object.hasOwn(here, part)) {
      return {
        ok: false,
        message: `This tool is priced by its "${path}" argument and the call has none. Send "${path}" as the amount in minor units: a decimal string of an integer such as "250", or a whole number such as 250.`,
      };
    }
    here = (here as Record<string, unknown>)[part];
  }
  const bad = (what: string): AmountRead => ({
    ok: false,
    message: `The "${path}" argument is ${what}. Send the amount in minor units: a decimal string of a non-negative integer such as "250" (no sign, no decimal point, no exponent), or a whole number up to ${Number.MAX_SAFE_INTEGER}.`,
  });
  if (typeof here === "number") {
    if (!Number.isSafeInteger(here) || here < 0 || Object.is(here, -0)) return bad(`${JSON.stringify(here)}, not a safe non-negative integer`);
    return { ok: true, value: String(here) };
  }
  if (typeof here === "string") {
    if (!/^(0|[1-9][0-9]{0,37})$/.test(here)) return bad(`${JSON.stringify(here.slice(0, 40))}, not an integer in minor units`);
    return { ok: true, value: here };
  }
  return bad(`a ${here === null ? "null" : Array.isArray(here) ? "list" : typeof here}`);
}
