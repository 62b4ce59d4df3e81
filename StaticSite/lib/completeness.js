// The completeness check. Every long-poll answer names the newest message the room has fanned out (or a message
// whose copy for us was lost on its way). Normally we hold it by then, or it arrives in the next answer a moment
// later; when it still has not arrived after a short grace, the fast path lost it, and we read history from a
// little before it. So a message lost on its way shows up within the grace, and at worst with the next answer
// (one long poll, 30 s), even when nothing told the server it was lost.
import { compareIds } from './merge.js';

export const CHECK_GRACE_MS = 2000;

/**
 * `holds(id)` says whether the page holds a message; `oldestHeld()` the oldest id it holds (null: none); `fill(id)`
 * reads history from a little before `id` and merges it (it may reject: then it is tried again after the grace).
 */
export function createCompletenessCheck({ holds, oldestHeld, fill, graceMs = CHECK_GRACE_MS, timers = globalThis }) {
  let expected = null; // the oldest named id we do not hold yet
  let timer = null;

  function due() {
    timer = null;
    const id = expected;
    expected = null;
    // A fill that fails is tried again after the grace: the answer that named a lost copy is the only one that will.
    if (id && !holds(id)) fill(id).catch(() => expect(id));
  }

  /** After each answer, with the id it named (null or undefined: nothing to check). */
  function expect(id) {
    if (!id || holds(id)) return;
    const oldest = oldestHeld();
    if (oldest && compareIds(id, oldest) < 0) return; // before what we loaded: not ours to miss
    if (!expected || compareIds(id, expected) < 0) expected = id;
    timer ??= timers.setTimeout(due, graceMs);
  }

  return {
    expect,
    /** A gap fill ran anyway (after a reconnect): nothing is owed. */
    clear() {
      expected = null;
      if (timer) timers.clearTimeout(timer);
      timer = null;
    },
  };
}
