/** The wire's principals, as plain TypeScript (see ../wire-types.ts). */

export interface PrincipalView {
  id: string;
  object: "principal";
  name: string;
  max_session_seconds: number;
  frozen: boolean;
  created_at: string;
}

export interface NewPrincipal {
  principal: PrincipalView;
  api_key: string;
}

export interface ApiKeyView {
  id: string;
  object: "api_key";
  prefix: string;
  label: string | null;
  /** admin: everything; approver: reads and decides approvals; read_only: reads. */
  role: "admin" | "approver" | "read_only";
  created_at: string;
  revoked_at: string | null;
}

export interface NewApiKey extends ApiKeyView {
  /** The secret key, shown once (absent on an idempotent replay). */
  api_key?: string | undefined;
}

export interface ApiKeyList {
  data: ApiKeyView[];
}

export interface FreezeResult extends PrincipalView {
  /** How many trees the switch reached. */
  trees: number;
}
