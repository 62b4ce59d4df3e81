// What the delivery loops do after a failed request: rejoin when the membership is gone, otherwise wait.
import { isRoomFull } from './api.js';
import { isMembershipLost } from './outbox.js';

/** Resolves after ms, or at once when the signal aborts (the loop then sees the abort and stops). */
export function sleep(ms, signal, timers = globalThis) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      timers.clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = timers.setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * `member` is who the failed request acted as (null if it needed none). A 401/403/410 for that member means it
 * left, expired or was not accepted (a 401 also after the server dropped the key that signed its token): join again
 * at once. Anything else (network, 429, 503) waits a back-off delay, honouring Retry-After. A join refused because
 * the room is full waits too, shown as 'full' rather than as a connection problem: someone may leave.
 */
export async function recover({ error, member, session, backoff, onState, wait, signal }) {
  if (member && isMembershipLost(error)) {
    onState('reconnecting', { error, attempt: backoff.attempt });
    try {
      await session.rejoin(member);
      return;
    } catch (joinError) {
      error = joinError; // the rejoin failed too: back off like any other failure
    }
  }
  const delayMs = backoff.next(error.retryAfterMs);
  onState(isRoomFull(error) ? 'full' : 'reconnecting', { error, attempt: backoff.attempt, delayMs });
  await wait(delayMs, signal);
}
