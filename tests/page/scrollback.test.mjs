import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScrollback, isNearTop } from '../../StaticSite/lib/scrollback.js';

const ids = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => ({ id: String(from + i).padStart(4, '0') }));

/** A room of `total` messages with ids 0001.., read as the API reads `before=`. */
function room(total) {
  const all = ids(1, total);
  const reads = [];
  const readPage = async ({ before, limit }) => {
    reads.push({ before, limit });
    const older = all.filter((m) => m.id < before);
    return older.slice(Math.max(0, older.length - limit));
  };
  return { all, reads, readPage };
}

test('pages go back from the oldest message held until the first message of the room', async () => {
  const { reads, readPage } = room(250);
  const scrollback = createScrollback({ readPage, pageSize: 100 });

  const first = await scrollback.loadBefore('0151');
  assert.deepEqual([first[0].id, first.at(-1).id], ['0051', '0150']);
  assert.equal(scrollback.reachedStart, false);

  const second = await scrollback.loadBefore('0051');
  assert.deepEqual([second[0].id, second.at(-1).id], ['0001', '0050']);
  assert.equal(scrollback.reachedStart, true);

  assert.equal(scrollback.loadBefore('0001'), null);
  assert.deepEqual(reads, [{ before: '0151', limit: 100 }, { before: '0051', limit: 100 }]);
});

test('an exactly full last page takes one more (empty) read to know the start is reached', async () => {
  const { readPage } = room(100);
  const scrollback = createScrollback({ readPage, pageSize: 50 });
  await scrollback.loadBefore('0051');
  assert.equal(scrollback.reachedStart, false);
  assert.deepEqual(await scrollback.loadBefore('0001'), []);
  assert.equal(scrollback.reachedStart, true);
});

test('one page at a time, and nothing before anything is held', async () => {
  const { reads, readPage } = room(300);
  const scrollback = createScrollback({ readPage, pageSize: 100 });
  assert.equal(scrollback.loadBefore(null), null);
  const loading = scrollback.loadBefore('0201');
  assert.equal(scrollback.loading, true);
  assert.equal(scrollback.loadBefore('0201'), null);
  await loading;
  assert.equal(scrollback.loading, false);
  assert.equal(reads.length, 1);
});

test('a failed read can be tried again', async () => {
  let fail = true;
  const scrollback = createScrollback({
    readPage: async () => {
      if (fail) throw new Error('offline');
      return [];
    },
  });
  await assert.rejects(scrollback.loadBefore('0005'));
  fail = false;
  assert.deepEqual(await scrollback.loadBefore('0005'), []);
  assert.equal(scrollback.reachedStart, true);
});

test('older messages load once the log is scrolled near its top', () => {
  assert.equal(isNearTop(0), true);
  assert.equal(isNearTop(100), true);
  assert.equal(isNearTop(500), false);
});
