/** The wire's meta, as plain TypeScript (see ../wire-types.ts). */

export interface Jwks {
  keys: { kty: "OKP"; crv: "Ed25519"; x: string; kid: string; alg: "EdDSA"; use: "sig" }[];
}

export interface Health {
  ok: true;
}

/** Every key that ever signed a receipt (`/.well-known/receipt-keys.json`), newest first. */
export interface ReceiptKeys {
  keys: {
    kty: "OKP";
    crv: "Ed25519";
    x: string;
    kid: string;
    alg: "EdDSA";
    use: "sig";
    signing_from: string;
    signing_until: string | null;
  }[];
}
