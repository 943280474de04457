/** The session as principals and agents see it (HTTP and RPC); its shape is the wire schema's. */
export type { BudgetCounterView, SessionView } from "./wire-types";
