/**
 * API key roles, enforced in one place (the principal's object, at authentication):
 * each route declares what it needs and a key outside its role is refused `forbidden`.
 *
 * - `admin`: everything (every key made before roles existed is one);
 * - `approver`: reads everything and decides approvals, nothing else;
 * - `read_only`: reads.
 */
export const ROLES = ["admin", "approver", "read_only"] as const;
export type Role = (typeof ROLES)[number];

/** What a route needs: to read, to decide approvals, or anything else (administration). */
export type Need = "read" | "decide" | "admin";

const GRANTS: Record<Role, readonly Need[]> = {
  admin: ["read", "decide", "admin"],
  approver: ["read", "decide"],
  read_only: ["read"],
};

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** Whether a key of `role` may do what needs `need`. An unknown role may do nothing. */
export function allows(role: string, need: Need): boolean {
  return isRole(role) && GRANTS[role].includes(need);
}

/** The default need of a principal route: reads are `read`, every other method `admin`. */
export function needOfMethod(method: string): Need {
  return method === "GET" || method === "HEAD" ? "read" : "admin";
}
