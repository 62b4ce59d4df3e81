// Reconnect delays that grow, cap, and spread out (jitter) so a server restart is not met by every client at once.
export function createBackoff({ baseMs = 500, maxMs = 30000, random = Math.random } = {}) {
  let attempt = 0;
  return {
    get attempt() {
      return attempt;
    },
    /** The next delay. A server's Retry-After wins over our own guess, plus a little jitter. */
    next(retryAfterMs = null) {
      attempt += 1;
      if (retryAfterMs != null) return retryAfterMs + Math.round(random() * baseMs);
      const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
      // "Equal jitter": at least half the ceiling, so delays still grow, the other half random.
      return Math.round(ceiling / 2 + random() * (ceiling / 2));
    },
    reset() {
      attempt = 0;
    },
  };
}

/** Retry-After is either delta-seconds or an HTTP date. Returns milliseconds to wait, or null when absent/unreadable. */
export function parseRetryAfter(value, nowMs = Date.now()) {
  if (value == null || value.trim() === '') return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}
