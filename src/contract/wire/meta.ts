/** The service's public keys and liveness on the wire. */
import { z } from "@hono/zod-openapi";
import type { jwks } from "../../core/auth/service-keys";
import type { Assert, Same } from "./check";

export const Jwks = z
  .object({
    keys: z.array(z.object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: z.string(), kid: z.string(), alg: z.literal("EdDSA"), use: z.literal("sig") })),
  })
  .openapi("Jwks");

export const Health = z.object({ ok: z.literal(true) }).openapi("Health");

export type Jwks = z.output<typeof Jwks>;
export type Health = z.output<typeof Health>;

// Core builds the key set; the wire must say exactly the same.
export type _JwksTie = Assert<Same<Jwks, ReturnType<typeof jwks>>>;
