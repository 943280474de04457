/**
 * The principal's trip-wires: velocity rules over a trailing window, checked inside every
 * decision of every tree. A change returns once every tree has it, or names the trees it has
 * not reached in `pending_trees`. A trip-wire's freeze is cleared by `reset`, not by `unfreeze`.
 *
 *   const { tripwire } = await principal.tripwires.create({ metric: "count", window: 60, threshold: "5", per: "tree", action: "freeze_tree" });
 */
import type { CallOptions } from "./http";
import type { DeletedTripwire, TripwireChange, TripwireList, TripwireReset, TripwireView } from "../../src/contract/wire-types";

export type { DeletedTripwire, TripwireChange, TripwireReset, TripwireView as Tripwire, TrippedView } from "../../src/contract/wire-types";

export interface TripwireInput {
  metric: TripwireView["metric"];
  /** Required for `amount`; for `count`, only actions in this asset count. */
  asset?: string | null;
  /** Only actions whose scope this pattern covers count. */
  scope?: string | null;
  /** Trailing window in seconds (10 to 2,678,400). */
  window: number;
  /** Minor units (amount) or a count, as a decimal string: the decision that takes the total over it trips. */
  threshold: string;
  per: TripwireView["per"];
  action: TripwireView["action"];
  /** Defaults to `enforce`; `shadow` refuses nothing and emits `tripwire.shadow`. */
  mode?: TripwireView["mode"];
}

export type TripwirePatch = Partial<TripwireInput>;

interface Transport {
  get<T>(path: string, call?: CallOptions): Promise<T>;
  send<T>(method: "POST" | "PATCH" | "DELETE", path: string, body: unknown, call?: CallOptions): Promise<T>;
}

const path = (id: string) => `/v1/tripwires/${encodeURIComponent(id)}`;

export function tripwireClient(t: Transport) {
  return {
    create: (input: TripwireInput, call?: CallOptions): Promise<TripwireChange> => t.send<TripwireChange>("POST", "/v1/tripwires", input, call),
    list: async (call?: CallOptions): Promise<TripwireView[]> => (await t.get<TripwireList>("/v1/tripwires", call)).data,
    get: (id: string, call?: CallOptions): Promise<TripwireView> => t.get<TripwireView>(path(id), call),
    update: (id: string, patch: TripwirePatch, call?: CallOptions): Promise<TripwireChange> => t.send<TripwireChange>("PATCH", path(id), patch, call),
    delete: (id: string, call?: CallOptions): Promise<DeletedTripwire> => t.send<DeletedTripwire>("DELETE", path(id), undefined, call),
    /** Clears what the rule froze, in every tree, and restarts its windows. */
    reset: (id: string, call?: CallOptions): Promise<TripwireReset> => t.send<TripwireReset>("POST", `${path(id)}/reset`, {}, call),
  };
}
