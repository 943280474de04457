/** The wire's trip-wires, as plain TypeScript (see ../wire-types.ts). */

/** A trip-wire rule as the API shows it (src/core/policy/tripwires.ts evaluates it). */
export interface TripwireView {
  id: string;
  object: "tripwire";
  metric: "amount" | "count" | "denials";
  asset: string | null;
  scope: string | null;
  window: number;
  threshold: string;
  per: "session" | "tree";
  action: "deny" | "freeze_session" | "freeze_tree" | "freeze_principal";
  mode: "enforce" | "shadow";
  created_at: string;
  updated_at: string;
}

/** A change of the principal's trip-wires: reached every tree before the call returned, except `pending_trees`. */
export interface TripwireChange {
  tripwire: TripwireView;
  /** Trees the change has not reached yet (their object did not answer); empty when every tree has it. */
  pending_trees: string[];
}

export interface TripwireList {
  data: TripwireView[];
}

export interface DeletedTripwire {
  id: string;
  object: "tripwire";
  deleted: true;
  pending_trees: string[];
}

export interface TripwireReset {
  id: string;
  object: "tripwire_reset";
  /** Trips cleared across the principal's trees. */
  cleared: number;
  pending_trees: string[];
}
