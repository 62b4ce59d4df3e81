// Scrollback: reading the room's history page by page backwards (before=), as the reader scrolls up, until the first
// message of the room. One page at a time; a page shorter than asked for means there is nothing older.

/** How close to the top (px) the log must be scrolled before the page before is loaded. */
export const NEAR_TOP_PX = 120;

export const isNearTop = (scrollTop) => scrollTop <= NEAR_TOP_PX;

/** `readPage({ before, limit })` resolves to messages oldest first. */
export function createScrollback({ readPage, pageSize = 100 }) {
  let reachedStart = false;
  let loading = null;
  return {
    /** True once the room's first message is held. */
    get reachedStart() {
      return reachedStart;
    },
    get loading() {
      return loading !== null;
    },
    /**
     * The page before `oldestId` (the oldest message held), or null when there is nothing to do: the start is
     * reached, a page is already loading, or nothing is held yet. A failed read rejects and can be tried again.
     */
    loadBefore(oldestId) {
      if (reachedStart || loading || !oldestId) return null;
      loading = readPage({ before: oldestId, limit: pageSize })
        .then((page) => {
          if (page.length < pageSize) reachedStart = true;
          return page;
        })
        .finally(() => {
          loading = null;
        });
      return loading;
    },
  };
}
