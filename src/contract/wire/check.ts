/**
 * Compile-time ties. Each wire schema is checked against its plain type in ../wire-types (which
 * the SDK publishes, so it must not be a zod type), and against a type core owns where there is
 * one (core cannot import the contract): a drift on either side stops tsc.
 */

/** True only when A and B are assignable both ways. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** True only when A and B are the same type (stricter than Same: optionality, readonly and literal types count). */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Fails to compile unless its argument is `true`. */
export type Assert<T extends true> = T;
