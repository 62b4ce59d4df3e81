// Long-poll mode: one request waits on the server until messages arrive, so a quiet room costs ~2 requests a minute
// and a message shows up as soon as it is sent.
import { recover } from './retry.js';

export const LONG_POLL_SECONDS = 30;

/**
 * Runs until `signal` aborts. `catchUp()` reads history since the last message we hold: it runs after joining (the
 * initial load) and after every break, before polling again, so nothing sent while we were away is missed — the
 * queue of a member only holds what arrived after its join, so history is read after the join, never before.
 * `poll()` resolves to an answer `{ messages, latestId }`; `onLatest(latestId)` feeds the completeness check.
 */
export async function runLongPoll({ session, poll, catchUp, onMessages, onLatest = () => {}, onState, backoff, wait, signal }) {
  let needsCatchUp = true;
  while (!signal.aborted) {
    let member = null;
    try {
      member = await session.ensure();
      if (needsCatchUp) {
        await catchUp(signal);
        needsCatchUp = false;
        onState('connected');
      }
      const answer = await poll(member, LONG_POLL_SECONDS, signal);
      backoff.reset();
      onState('connected');
      onMessages(answer.messages);
      onLatest(answer.latestId);
    } catch (error) {
      if (signal.aborted) return;
      needsCatchUp = true;
      await recover({ error, member, session, backoff, onState, wait, signal });
    }
  }
}
