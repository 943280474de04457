/** What crosses the edge ↔ Principal RPC boundary for the event log (GET /v1/events, its stream). */
import type { EventType } from "../core/webhooks/events";
import type { EventEnvelope } from "./wire-types";

/** Events are kept this long, then pruned (the listing never shows older ones). */
export const EVENT_RETENTION_MS = 30 * 24 * 3600 * 1000;
export const DEFAULT_EVENT_PAGE = 20;
export const MAX_EVENT_PAGE = 100;

/** A page of `GET /v1/events`: newest first. Times are epoch ms, both bounds exclusive. */
export interface EventQuery {
  types?: EventType[];
  createdAfter?: number;
  createdBefore?: number;
  limit: number;
  /** The last event id of the previous page. */
  startingAfter?: string;
}

/** The stream's poll: events recorded after `cursor` (oldest first), or after `lastEventId` on the first poll. */
export interface EventPoll {
  /** The previous poll's cursor; null on the first poll. */
  cursor: number | null;
  /** The first poll's `Last-Event-ID`: resume after it. */
  lastEventId?: string;
  types?: EventType[];
  limit: number;
}

export interface EventBatch {
  data: EventEnvelope[];
  /** Where the next poll starts: past every event read, matching or not. */
  cursor: number;
  /** On a first poll with `lastEventId`: false when that event is unknown (never ours, or pruned) and the stream starts from now. */
  resumed: boolean;
}
