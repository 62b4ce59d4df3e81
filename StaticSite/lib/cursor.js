// Ids are assigned before the history write commits, so with concurrent senders a message with a slightly
// smaller id can become readable slightly after a larger one. Reading `after=<newest id>` would skip it for good.
// Instead every read starts a little further back and the merge drops what we already have.
export const OVERLAP_MS = 5000;

// After a break (a failed request, a rejoin) the read goes much further back: a copy the server was still holding
// back for us (taken back from a lost instance after 10 s, swept after 15 s) may sit below newer messages we hold,
// and the answer that carried it may be the one we lost.
export const RECONNECT_OVERLAP_MS = 35000;

/**
 * The `after` cursor for a history read: the id of the newest message sent at least `overlapMs` before the newest
 * message we hold. Null means "no safe cursor" (nothing yet, or everything we hold is inside the overlap window):
 * read the newest page instead, which covers the window as long as it holds fewer messages than a page.
 * `messages` must be sorted by id.
 */
export function overlapCursor(messages, overlapMs = OVERLAP_MS) {
  if (messages.length === 0) return null;
  const newestAt = Date.parse(messages[messages.length - 1].sentAt);
  for (let i = messages.length - 1; i >= 0; i--) {
    if (Date.parse(messages[i].sentAt) <= newestAt - overlapMs) return messages[i].id;
  }
  return null;
}

/**
 * Reads every message after `after`, page by page. A full page means there may be more, so the next page continues
 * from its last id (no overlap needed inside one read: those ids were all readable together).
 * `readPage({after, limit})` resolves to an array of messages, oldest first.
 */
export async function readAllAfter(readPage, after, limit = 100) {
  const collected = [];
  let cursor = after;
  for (;;) {
    const page = await readPage({ after: cursor, limit });
    collected.push(...page);
    if (page.length < limit) return collected;
    cursor = page[page.length - 1].id;
  }
}

/**
 * Everything we may be missing, given the messages we hold (sorted by id): the newest page when we hold nothing
 * (the initial load) or have no safe cursor, otherwise every page after the overlapping cursor.
 */
export function readMissing(readPage, held, limit = 100, overlapMs = OVERLAP_MS) {
  const after = overlapCursor(held, overlapMs);
  return after ? readAllAfter(readPage, after, limit) : readPage({ limit });
}

/**
 * What the completeness check reads when `id` was named and never arrived: every page after the overlapping cursor
 * of the messages we hold before `id` (a hole may sit below newer messages we do hold), or the newest page when there
 * is no safe cursor.
 */
export function readMissingBefore(readPage, held, id, limit = 100) {
  return readMissing(readPage, held.filter((m) => m.id < id), limit);
}
