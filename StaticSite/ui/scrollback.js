// Scrollback on the page: near the top of the log, the page before the oldest message held is put above what is
// shown without moving it, until the room's first message, where a quiet marker says so. The log does not read the
// older messages out; a polite status says in one sentence what was loaded.
import { isNearTop } from '../lib/scrollback.js';
import { keepPlace } from './view.js';

/**
 * `ui` holds the page's scroller (the log), room-start marker and log-status. `oldestId()` is the oldest message
 * held; `render(messages)` merges and shows them and returns the new ones; `ready()` says the first load is done;
 * `announceLog()` turns the log's reading out back on once the older messages are in. Returns the check to run after
 * every scroll and every render.
 */
export function attachScrollback({ ui, scrollback, oldestId, render, ready, t, announceLog }) {
  const { scroller, 'room-start': marker, 'log-status': status } = ui;
  async function loadOlderIfNearTop() {
    if (!ready() || !isNearTop(scroller.scrollTop)) return;
    const loading = scrollback.loadBefore(oldestId());
    if (!loading) return;
    status.textContent = t('loadingOlder');
    let added = [];
    try {
      const older = await loading;
      scroller.setAttribute('aria-live', 'off');
      keepPlace(scroller, () => {
        added = render(older);
        marker.hidden = !scrollback.reachedStart;
      });
      announceLog();
    } catch {
      status.textContent = ''; // the next scroll to the top tries again
      return;
    }
    status.textContent = [t('olderLoaded', { count: added.length }), scrollback.reachedStart ? t('roomStart') : '']
      .filter(Boolean)
      .join('. ');
    requestAnimationFrame(loadOlderIfNearTop); // still at the top (a short page): go on
  }
  return loadOlderIfNearTop;
}
