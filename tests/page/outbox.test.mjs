import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackoff } from '../../StaticSite/lib/backoff.js';
import { ApiError } from '../../StaticSite/lib/api.js';
import { createOutbox } from '../../StaticSite/lib/outbox.js';

// sendResults: what each send attempt does, in order — a message resolves, an Error rejects, a Promise is awaited.
// `done` resolves once `expected` entries have been sent or have failed.
function harness(sendResults, { now = () => 0, expected = 1 } = {}) {
  const sends = [];
  const waits = [];
  const rejoins = [];
  let member = { userId: 'u1', token: 't1' };
  const session = {
    ensure: async () => member,
    rejoin: async (stale) => {
      rejoins.push(stale);
      member = { userId: 'u2', token: 't2' };
      return member;
    },
  };
  const settled = [];
  let settle;
  const done = new Promise((resolve) => (settle = resolve));
  let ids = 0;
  const outbox = createOutbox({
    session,
    sendAs: async (as, body) => {
      sends.push({ token: as.token, ...body });
      const result = sendResults.shift();
      if (result instanceof Error) throw result;
      return await result;
    },
    backoff: createBackoff({ baseMs: 100, random: () => 0 }),
    sleep: async (ms) => waits.push(ms),
    newId: () => `c${++ids}`,
    now,
    onSent: (entry, message) => {
      settled.push(['sent', entry.clientMessageId, message.id]);
      if (settled.length === expected) settle();
    },
    onFailed: (entry, error) => {
      settled.push(['failed', entry.clientMessageId, error.status]);
      if (settled.length === expected) settle();
    },
  });
  return { outbox, sends, waits, rejoins, settled, done };
}

test('a network error and a 503 are retried with the same clientMessageId', async () => {
  const h = harness([new ApiError({ status: 0 }), new ApiError({ status: 503 }), { id: 'm1' }]);
  h.outbox.enqueue('hello');
  await h.done;
  assert.deepEqual(h.sends.map((s) => s.clientMessageId), ['c1', 'c1', 'c1']);
  assert.deepEqual(h.waits, [50, 100]);
  assert.deepEqual(h.settled, [['sent', 'c1', 'm1']]);
});

test('429 waits for Retry-After before trying again', async () => {
  const h = harness([new ApiError({ status: 429, retryAfterMs: 3000 }), { id: 'm1' }]);
  h.outbox.enqueue('hello');
  await h.done;
  assert.deepEqual(h.waits, [3000]);
  assert.equal(h.sends.length, 2);
});

test('410 rejoins and resends with the new token, without waiting', async () => {
  const h = harness([new ApiError({ status: 410 }), { id: 'm1' }]);
  h.outbox.enqueue('hello');
  await h.done;
  assert.deepEqual(h.rejoins, [{ userId: 'u1', token: 't1' }]);
  assert.deepEqual(h.sends.map((s) => s.token), ['t1', 't2']);
  assert.deepEqual(h.waits, []);
});

test('400 is not retried: the entry fails', async () => {
  const h = harness([new ApiError({ status: 400, detail: 'too long' })]);
  h.outbox.enqueue('hello');
  await h.done;
  assert.equal(h.sends.length, 1);
  assert.deepEqual(h.settled, [['failed', 'c1', 400]]);
});

test('retries stop after five minutes, before the server forgets the clientMessageId', async () => {
  let time = 0;
  const h = harness([new ApiError({ status: 503 }), new ApiError({ status: 503 })], { now: () => time });
  h.outbox.enqueue('hello');
  time = 5 * 60000 + 1;
  await h.done;
  assert.deepEqual(h.settled, [['failed', 'c1', 503]]);
});

test('messages go out one at a time, in the order written', async () => {
  const h = harness([{ id: 'm1' }, { id: 'm2' }], { expected: 2 });
  h.outbox.enqueue('first');
  h.outbox.enqueue('second');
  await h.done;
  assert.deepEqual(h.sends.map((s) => s.text), ['first', 'second']);
  assert.deepEqual(h.settled.map((s) => s[2]), ['m1', 'm2']);
});

test('a delivered copy of our own message claims the oldest pending entry with that text, once', () => {
  const never = new Promise(() => {}); // the POST responses have not arrived yet
  const h = harness([never, never]);
  const first = h.outbox.enqueue('same');
  const second = h.outbox.enqueue('same');
  assert.equal(h.outbox.claimDelivered({ text: 'same' }), first);
  assert.equal(h.outbox.claimDelivered({ text: 'same' }), second);
  assert.equal(h.outbox.claimDelivered({ text: 'same' }), null);
  assert.equal(h.outbox.claimDelivered({ text: 'other' }), null);
});
