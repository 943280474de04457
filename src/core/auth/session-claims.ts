/**
 * What a session token asserts: what the edge knows of a session without asking its tree.
 * The token is a bearer of nothing: it is bound to the agent key by `cnf.jkt`.
 */
export interface SessionClaims {
  iss: string;
  sub: string; // session id
  tree: string;
  prn: string;
  nbf: number;
  exp: number;
  iat: number;
  jti: string;
  cnf: { jkt: string };
  /** Granted scopes, space-separated (RFC 9068 style), so the edge refuses a scope without state. */
  scope: string;
  depth: number;
}
