/** The service's public keys and liveness on the wire. */
import { z } from "@hono/zod-openapi";
import type { jwks } from "../../core/auth/service-keys";
import type * as W from "../wire-types";
import type { Assert, Equal, Same } from "./check";

export const Jwks = z
  .object({
    keys: z.array(z.object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: z.string(), kid: z.string(), alg: z.literal("EdDSA"), use: z.literal("sig") })),
  })
  .openapi("Jwks");

export const Health = z.object({ ok: z.literal(true) }).openapi("Health");

export type Jwks = W.Jwks;
export type Health = W.Health;

// The plain types the SDK publishes must be exactly what the schemas validate and document.
export type _JwksWire = Assert<Equal<z.output<typeof Jwks>, Jwks>>;
export type _HealthWire = Assert<Equal<z.output<typeof Health>, Health>>;

// Core builds the key set; the wire must say exactly the same.
export type _JwksTie = Assert<Same<Jwks, ReturnType<typeof jwks>>>;
