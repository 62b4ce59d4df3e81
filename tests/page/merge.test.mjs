import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareIds, mergeMessages, nextIdAfter } from '../../StaticSite/lib/merge.js';

const msg = (id) => ({ id, text: `text ${id}` });
const ids = (list) => list.map((m) => m.id);

test('ids compare ordinally, not by locale rules', () => {
  assert.equal(compareIds('0001', '0002'), -1);
  assert.equal(compareIds('b', 'a'), 1);
  assert.equal(compareIds('x', 'x'), 0);
  // Ordinal: uppercase sorts before lowercase; localeCompare would put 'a' first.
  assert.equal(compareIds('B', 'a'), -1);
});

test('merging keeps id order even when a smaller id arrives late', () => {
  const { list, added } = mergeMessages([msg('01'), msg('03')], [msg('04'), msg('02')]);
  assert.deepEqual(ids(list), ['01', '02', '03', '04']);
  assert.deepEqual(ids(added), ['02', '04']);
});

test('merging drops ids already held and repeated ids in one batch', () => {
  const existing = [msg('01'), msg('02')];
  const { list, added } = mergeMessages(existing, [msg('02'), msg('03'), msg('03')]);
  assert.deepEqual(ids(list), ['01', '02', '03']);
  assert.deepEqual(ids(added), ['03']);
});

test('nothing new returns the same list object so callers can skip work', () => {
  const existing = [msg('01')];
  const { list, added } = mergeMessages(existing, [msg('01')]);
  assert.equal(list, existing);
  assert.deepEqual(added, []);
});

test('merging does not mutate the list it was given', () => {
  const existing = [msg('02')];
  mergeMessages(existing, [msg('01')]);
  assert.deepEqual(ids(existing), ['02']);
});

test('nextIdAfter names the neighbour to insert before', () => {
  const list = [msg('01'), msg('02'), msg('03')];
  assert.equal(nextIdAfter(list, '02'), '03');
  assert.equal(nextIdAfter(list, '03'), null);
});
