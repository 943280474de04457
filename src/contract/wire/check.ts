/**
 * Compile-time ties between a wire schema and a type that core owns (core cannot import the
 * contract, so those types cannot be derived from the schema): a drift on either side stops tsc.
 */

/** True only when A and B are assignable both ways. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Fails to compile unless its argument is `true`. */
export type Assert<T extends true> = T;
