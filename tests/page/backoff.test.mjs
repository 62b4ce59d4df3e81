import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackoff, parseRetryAfter } from '../../StaticSite/lib/backoff.js';

test('delays grow, then stop at the cap', () => {
  const backoff = createBackoff({ baseMs: 100, maxMs: 1000, random: () => 1 });
  const delays = Array.from({ length: 6 }, () => backoff.next());
  assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
});

test('jitter keeps each delay between half and all of its ceiling', () => {
  const low = createBackoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
  assert.deepEqual([low.next(), low.next(), low.next()], [50, 100, 200]);
});

test('reset starts over from the base delay', () => {
  const backoff = createBackoff({ baseMs: 100, random: () => 1 });
  backoff.next();
  backoff.next();
  backoff.reset();
  assert.equal(backoff.attempt, 0);
  assert.equal(backoff.next(), 100);
});

test('Retry-After wins over the computed delay, even beyond the cap', () => {
  const backoff = createBackoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
  assert.equal(backoff.next(7000), 7000);
  assert.equal(backoff.attempt, 1);
});

test('Retry-After gets a little jitter so clients do not return in step', () => {
  const backoff = createBackoff({ baseMs: 100, random: () => 0.5 });
  assert.equal(backoff.next(2000), 2050);
});

test('Retry-After header: seconds, HTTP date, junk', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('3', now), 3000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now), 10000);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter(null, now), null);
  assert.equal(parseRetryAfter('soon', now), null);
});
