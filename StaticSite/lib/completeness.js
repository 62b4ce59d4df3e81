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
  // Every named id we do not hold yet. Not just the oldest: once the oldest arrives, a newer one named meanwhile (a
  // copy lost for us) would otherwise never be checked, as no later answer names it again.
  let expected = new Set();
  let timer = null;

  function due() {
    timer = null;
    const missing = [...expected].filter((id) => !holds(id)).sort(compareIds);
    expected = new Set();
    if (missing.length === 0) return;
    // One read from before the oldest; what it did not bring is checked again after the grace, and so is everything
    // when the read fails.
    fill(missing[0]).then(
      () => missing.slice(1).forEach(expect),
      () => missing.forEach(expect),
    );
  }

  /** After each answer, with the id it named (null or undefined: nothing to check). */
  function expect(id) {
    if (!id || holds(id)) return;
    const oldest = oldestHeld();
    if (oldest && compareIds(id, oldest) < 0) return; // before what we loaded: not ours to miss
    expected.add(id);
    timer ??= timers.setTimeout(due, graceMs);
  }

  return {
    expect,
    /** A gap fill ran anyway (after a reconnect): nothing is owed. */
    clear() {
      expected = new Set();
      if (timer) timers.clearTimeout(timer);
      timer = null;
    },
  };
}
