// Outgoing messages, sent one at a time in the order they were written. Each keeps one clientMessageId for all of
// its attempts, so a retry after a lost response is recognised by the server and never stored twice.
export const isMembershipLost = (error) => [401, 403, 410].includes(error?.status);
export const isWorthRetrying = (error) =>
  error?.status === 0 || error?.status === 408 || error?.status === 429 || error?.status >= 500;

// The server remembers a clientMessageId for 10 minutes; stop well before that so a late retry cannot duplicate.
const GIVE_UP_AFTER_MS = 5 * 60000;

export function createOutbox({
  session,
  sendAs, // (member, {text, clientMessageId}) => Promise<message>
  backoff,
  sleep,
  newId = () => crypto.randomUUID(),
  now = Date.now,
  onSent = () => {}, // (entry, message)
  onFailed = () => {}, // (entry, error): will not be retried
  onRetry = () => {}, // (entry, error, delayMs)
}) {
  const queue = [];
  let draining = false;

  async function deliver(entry) {
    for (;;) {
      let member = null;
      try {
        member = await session.ensure();
        return await sendAs(member, { text: entry.text, clientMessageId: entry.clientMessageId });
      } catch (error) {
        if (member && isMembershipLost(error)) {
          await session.rejoin(member).catch(() => {}); // a failed rejoin is retried by the next attempt
          continue;
        }
        if (!isWorthRetrying(error) || now() - entry.createdAt > GIVE_UP_AFTER_MS) throw error;
        const delayMs = backoff.next(error.retryAfterMs);
        onRetry(entry, error, delayMs);
        await sleep(delayMs);
      }
    }
  }

  async function drain() {
    if (draining) return;
    draining = true;
    while (queue.length > 0) {
      const entry = queue[0];
      try {
        const message = await deliver(entry);
        backoff.reset();
        entry.state = 'sent';
        onSent(entry, message);
      } catch (error) {
        entry.state = 'failed';
        onFailed(entry, error);
      }
      queue.shift();
    }
    draining = false;
  }

  return {
    /** Queues already-trimmed, non-empty text; returns the entry so the caller can show it as pending. */
    enqueue(text) {
      const entry = { clientMessageId: newId(), text, state: 'pending', createdAt: now() };
      queue.push(entry);
      drain();
      return entry;
    },
    /**
     * The long poll may deliver our own message before the POST's response arrives; find the pending entry it
     * belongs to (same text, oldest first) so the page shows it once. The messages carry no clientMessageId.
     */
    claimDelivered(message) {
      const entry = queue.find((e) => e.state === 'pending' && e.text === message.text);
      if (entry) entry.state = 'delivered';
      return entry ?? null;
    },
  };
}
