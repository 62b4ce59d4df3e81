import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMeter } from '../../StaticSite/lib/meter.js';

function clock(start = Date.parse('2025-01-01T00:00:00Z')) {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

test('requests per minute counts only the last 60 seconds', () => {
  const time = clock();
  const meter = createMeter({ now: time.now });
  meter.recordRequest();
  time.advance(30000);
  meter.recordRequest();
  meter.recordRequest();
  assert.equal(meter.snapshot().requestsLastMinute, 3);
  time.advance(30001);
  assert.equal(meter.snapshot().requestsLastMinute, 2);
});

test('per-minute buckets: oldest first, current minute last, old minutes fall off', () => {
  const time = clock();
  const meter = createMeter({ now: time.now, bucketCount: 3 });
  meter.recordRequest();
  time.advance(60000);
  meter.recordRequest();
  meter.recordRequest();
  assert.deepEqual(meter.snapshot().perMinute, [0, 1, 2]);
  time.advance(2 * 60000);
  assert.deepEqual(meter.snapshot().perMinute, [2, 0, 0]);
});

test('messages received add up and delay is display time minus sentAt', () => {
  const time = clock();
  const meter = createMeter({ now: time.now });
  const sentAt = (msAgo) => new Date(time.now() - msAgo).toISOString();
  meter.recordMessages([sentAt(100), sentAt(300)]);
  meter.recordMessages([sentAt(500)]);
  const snapshot = meter.snapshot();
  assert.equal(snapshot.messagesReceived, 3);
  assert.equal(snapshot.averageDelayMs, 300);
  assert.equal(snapshot.lastDelayMs, 500);
});

test('a sentAt in the future (clock skew) counts as zero delay, not negative', () => {
  const time = clock();
  const meter = createMeter({ now: time.now });
  meter.recordMessages([new Date(time.now() + 2000).toISOString()]);
  assert.equal(meter.snapshot().averageDelayMs, 0);
});

test('no messages yet: no delay to show', () => {
  const snapshot = createMeter().snapshot();
  assert.equal(snapshot.averageDelayMs, null);
  assert.equal(snapshot.messagesReceived, 0);
});

test('the average follows the most recent 20 messages', () => {
  const time = clock();
  const meter = createMeter({ now: time.now });
  meter.recordMessages(Array.from({ length: 20 }, () => new Date(time.now() - 10000).toISOString()));
  meter.recordMessages(Array.from({ length: 20 }, () => new Date(time.now() - 100).toISOString()));
  assert.equal(meter.snapshot().averageDelayMs, 100);
});
