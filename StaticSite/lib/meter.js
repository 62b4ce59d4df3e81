// Live numbers that show what each delivery mode costs: requests per minute, messages received, and how long a
// message took from the server's sentAt to the screen.
const MINUTE_MS = 60000;
const DELAY_SAMPLES = 20;

export function createMeter({ now = Date.now, bucketCount = 10 } = {}) {
  let requestTimes = [];
  const buckets = new Map(); // minute number -> requests started in that minute
  let messagesReceived = 0;
  let delays = [];

  function forgetOld(at) {
    requestTimes = requestTimes.filter((t) => t > at - MINUTE_MS);
    const oldestKept = Math.floor(at / MINUTE_MS) - bucketCount + 1;
    for (const minute of buckets.keys()) if (minute < oldestKept) buckets.delete(minute);
  }

  return {
    recordRequest() {
      const at = now();
      requestTimes.push(at);
      const minute = Math.floor(at / MINUTE_MS);
      buckets.set(minute, (buckets.get(minute) ?? 0) + 1);
      forgetOld(at);
    },
    /** `sentAt` values of the messages that were new to us; delay is measured against now(). */
    recordMessages(sentAts) {
      const at = now();
      messagesReceived += sentAts.length;
      for (const sentAt of sentAts) {
        // Client and server clocks differ a little; a negative delay would only mean skew, so count it as zero.
        delays.push(Math.max(0, at - Date.parse(sentAt)));
      }
      delays = delays.slice(-DELAY_SAMPLES);
    },
    snapshot() {
      const at = now();
      forgetOld(at);
      const currentMinute = Math.floor(at / MINUTE_MS);
      const perMinute = [];
      for (let minute = currentMinute - bucketCount + 1; minute <= currentMinute; minute++) {
        perMinute.push(buckets.get(minute) ?? 0);
      }
      return {
        requestsLastMinute: requestTimes.length,
        messagesReceived,
        averageDelayMs: delays.length ? Math.round(delays.reduce((a, b) => a + b, 0) / delays.length) : null,
        lastDelayMs: delays.length ? delays[delays.length - 1] : null,
        perMinute, // oldest minute first, the current (partial) minute last
      };
    },
  };
}
