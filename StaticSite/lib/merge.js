// Message ids are strings whose ordinal (code-unit) order is the server's acceptance order.
// localeCompare would apply language collation rules, so compare plainly.
export function compareIds(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Merges incoming messages into a list kept sorted by id, ignoring ids already present.
 * Returns the new list and the messages that were really new (in id order), so the caller renders and counts only those.
 */
export function mergeMessages(existing, incoming) {
  const known = new Set(existing.map((m) => m.id));
  const added = [];
  for (const message of incoming) {
    if (known.has(message.id)) continue;
    known.add(message.id);
    added.push(message);
  }
  if (added.length === 0) return { list: existing, added };
  added.sort((a, b) => compareIds(a.id, b.id));
  const list = existing.concat(added).sort((a, b) => compareIds(a.id, b.id));
  return { list, added };
}

/** The id of the message that directly follows `id` in a sorted list, or null when it is the last one. */
export function nextIdAfter(list, id) {
  const index = list.findIndex((m) => m.id === id);
  return index >= 0 && index + 1 < list.length ? list[index + 1].id : null;
}
