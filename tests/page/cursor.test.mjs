import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OVERLAP_MS, overlapCursor, readAllAfter, readMissing, readMissingBefore, RECONNECT_OVERLAP_MS } from '../../StaticSite/lib/cursor.js';

const at = (seconds) => new Date(Date.UTC(2025, 0, 1, 12, 0, seconds)).toISOString();
const msg = (id, seconds) => ({ id, sentAt: at(seconds) });

test('no messages: no cursor, so the newest page is read', () => {
  assert.equal(overlapCursor([]), null);
});

test('the cursor steps back past the overlap window instead of using the newest id', () => {
  const held = [msg('a1', 0), msg('a2', 10), msg('a3', 20), msg('a4', 23), msg('a5', 24)];
  // Newest is at 24 s, so the cursor is the newest message sent at or before 19 s: a2. a3 (20 s) is re-read.
  assert.equal(overlapCursor(held), 'a2');
});

test('a message exactly overlapMs older than the newest is a valid cursor', () => {
  const held = [msg('a1', 0), msg('a2', 5)];
  assert.equal(overlapCursor(held, 5000), 'a1');
  assert.equal(OVERLAP_MS, 5000);
});

test('everything inside the window: no safe cursor', () => {
  assert.equal(overlapCursor([msg('a1', 0), msg('a2', 3)]), null);
});

test('a late-committed message inside the window is found by the overlapping read', async () => {
  // We saw a1..a3 and a5; a4 (smaller id than a5) became readable only after we read a5.
  const server = [msg('a1', 0), msg('a2', 10), msg('a3', 20), msg('a4', 21), msg('a5', 22)];
  const held = [server[0], server[1], server[2], server[4]];
  const readPage = async ({ after, limit }) => server.filter((m) => !after || m.id > after).slice(0, limit);
  const fetched = await readMissing(readPage, held);
  assert.ok(fetched.some((m) => m.id === 'a4'), 'a read after the newest id (a5) would have missed a4');
});

test('full pages are followed until a short page, continuing from the last id', async () => {
  const server = Array.from({ length: 7 }, (_, i) => msg(`m${i}`, i));
  const calls = [];
  const readPage = async ({ after, limit }) => {
    calls.push(after);
    return server.filter((m) => m.id > after).slice(0, limit);
  };
  const all = await readAllAfter(readPage, 'm0', 3);
  assert.deepEqual(all.map((m) => m.id), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  assert.deepEqual(calls, ['m0', 'm3', 'm6']);
});

test('without a cursor only the newest page is read, without an after parameter', async () => {
  const queries = [];
  const result = await readMissing(async (query) => {
    queries.push(query);
    return [msg('z', 0)];
  }, [], 100);
  assert.deepEqual(queries, [{ limit: 100 }]);
  assert.deepEqual(result.map((m) => m.id), ['z']);
});

test('a message missing below newer ones we hold is read from a little before it', async () => {
  // We hold a1..a3 and a6; a4 was lost on its way while a6 arrived. A read after a6's overlap cursor (a3) finds it
  // here too, but not when a6 is far newer: the read starts before the missing id, not before the newest.
  const server = [msg('a1', 0), msg('a2', 10), msg('a3', 20), msg('a4', 26), msg('a5', 27), msg('a6', 60)];
  const held = [server[0], server[1], server[2], server[5]];
  const reads = [];
  const readPage = async ({ after, limit }) => (reads.push(after), server.filter((m) => !after || m.id > after).slice(0, limit));
  assert.equal(overlapCursor(held), 'a3', 'the usual cursor starts after a3');
  const fetched = await readMissingBefore(readPage, held, 'a4');
  assert.deepEqual(reads, ['a2']);
  assert.ok(fetched.some((m) => m.id === 'a4'));
});

test('after a break the read reaches 35 s behind the newest message, past the server\'s take-back and sweep', async () => {
  // a2 (20 s) was on its way to us, held back by the server, when the answer carrying it was lost; we hold a3 and a4.
  const server = [msg('a1', 0), msg('a2', 20), msg('a3', 40), msg('a4', 50)];
  const held = [server[0], server[2], server[3]];
  const readPage = async ({ after, limit }) => server.filter((m) => !after || m.id > after).slice(0, limit);
  assert.equal(RECONNECT_OVERLAP_MS, 35000);
  assert.ok(!(await readMissing(readPage, held)).some((m) => m.id === 'a2'), 'the 5 s overlap starts after a2');
  assert.ok((await readMissing(readPage, held, 100, RECONNECT_OVERLAP_MS)).some((m) => m.id === 'a2'));
});
