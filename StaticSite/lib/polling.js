// Polling mode: read history every few seconds whether or not anything happened. Simple, but it costs ~20 requests
// a minute per person and each message waits up to a whole interval — the meter makes that visible.
import { recover } from './retry.js';

export const POLL_INTERVAL_MS = 3000;
// History reads do not count as activity, so without this the member would expire and vanish from the online list.
export const KEEP_ALIVE_MS = 45000;
const KEEP_ALIVE_TIMEOUT_SECONDS = 1;

/**
 * Runs until `signal` aborts. `catchUp()` reads history with an overlapping cursor (see cursor.js) and merges it.
 * `poll(member, seconds)` is the long-poll request, used briefly as a keep-alive; what it returns is merged too
 * (the member's queue still receives every message). Reading history every interval is its own completeness check.
 */
export async function runPolling({
  session,
  poll,
  catchUp,
  onMessages,
  onState,
  backoff,
  wait,
  signal,
  now = Date.now,
  intervalMs = POLL_INTERVAL_MS,
  keepAliveMs = KEEP_ALIVE_MS,
}) {
  let lastKeepAlive = -Infinity;
  while (!signal.aborted) {
    let member = null;
    try {
      await catchUp(signal);
      if (now() - lastKeepAlive >= keepAliveMs) {
        member = await session.ensure();
        onMessages((await poll(member, KEEP_ALIVE_TIMEOUT_SECONDS, signal)).messages);
        lastKeepAlive = now();
      }
      backoff.reset();
      onState('connected');
      await wait(intervalMs, signal);
    } catch (error) {
      if (signal.aborted) return;
      await recover({ error, member, session, backoff, onState, wait, signal });
    }
  }
}
