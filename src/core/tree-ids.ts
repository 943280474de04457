/** Ids inside a tree carry the tree's key, so any id routes to its object without an index. */
import { newId, randomToken, type IdPrefix } from "./ids";

/**
 * Everything that lives in a tree (sessions, receipts, holds) carries the tree's
 * key in its id, so any of them routes to its Durable Object without an index.
 * `tre_` + 13-char key + 13 random; `ses_` + the same key + 13 random.
 */
const KEY_LENGTH = 13;

export function newTreeId(): string {
  return newId("tre");
}

export function newIdIn(prefix: IdPrefix, treeId: string): string {
  return `${prefix}_${treeKey(treeId)}${randomToken(16).slice(0, 26 - KEY_LENGTH)}`;
}

/** The Durable Object name of the tree that holds this id. */
export function treeKey(id: string): string {
  return id.slice(4, 4 + KEY_LENGTH);
}
