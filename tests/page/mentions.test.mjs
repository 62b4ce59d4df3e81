import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insertMention, markMentions, mentionQuery, mentionsName, suggestNames } from '../../StaticSite/lib/mentions.js';

const marked = (text, names) => markMentions([{ text }], names).filter((p) => p.mention).map((p) => p.mention);

test('an @ followed by a known name is a mention; the pieces join back into the text', () => {
  const pieces = markMentions([{ text: 'hi @王小明, and @Emma!' }], ['王小明', 'Emma', 'Bob']);
  assert.deepEqual(pieces, [
    { text: 'hi ' },
    { text: '@王小明', mention: '王小明' },
    { text: ', and ' },
    { text: '@Emma', mention: 'Emma' },
    { text: '!' },
  ]);
});

test('the longest known name wins, names may hold spaces, and CJK needs no word boundary', () => {
  assert.deepEqual(marked('@王小明你好', ['王小', '王小明']), ['王小明']);
  assert.deepEqual(marked('ping @Mary Ann please', ['Mary', 'Mary Ann']), ['Mary Ann']);
});

test('unknown names, e-mail addresses and Latin names that run on are not mentions', () => {
  assert.deepEqual(marked('@nobody here', ['Emma']), []);
  assert.deepEqual(marked('mail emma@Emma.cn', ['Emma']), []);
  assert.deepEqual(marked('@Emmanuel', ['Emma']), []);
});

test('links are left as they are', () => {
  const pieces = markMentions([{ text: 'https://x.cn/@Emma', href: 'https://x.cn/@Emma' }, { text: ' @Emma' }], ['Emma']);
  assert.equal(pieces[0].href, 'https://x.cn/@Emma');
  assert.equal(pieces[2].mention, 'Emma');
});

test('a message mentions me when it has @ and my name', () => {
  assert.equal(mentionsName('hey @小明 look', '小明'), true);
  assert.equal(mentionsName('hey 小明 look', '小明'), false);
  assert.equal(mentionsName('hey @小明明', ''), false);
});

test('typing @ offers names: the query runs from the @ to the caret', () => {
  assert.deepEqual(mentionQuery('hi @Em', 6), { start: 3, query: 'Em' });
  assert.deepEqual(mentionQuery('@', 1), { start: 0, query: '' });
  assert.deepEqual(mentionQuery('你好@王', 4), { start: 2, query: '王' });
  assert.equal(mentionQuery('mail a@b', 8), null);
  assert.equal(mentionQuery('@Em\nma', 6), null);
  assert.equal(mentionQuery('no at', 5), null);
});

test('suggestions are online names starting with the query, without me, sorted and capped', () => {
  const names = ['Emma', 'emil', 'Bob', '王小明', 'Emma'];
  assert.deepEqual(suggestNames('em', names), ['emil', 'Emma']);
  assert.deepEqual(suggestNames('', names, { me: 'Bob', limit: 2 }), ['emil', 'Emma']);
  assert.deepEqual(suggestNames('王', names), ['王小明']);
});

test('picking a name replaces the query and puts the caret after a space', () => {
  assert.deepEqual(insertMention('hi @Em how', { start: 3, query: 'Em' }, 'Emma'), { value: 'hi @Emma how', caret: 9 });
  assert.deepEqual(insertMention('@', { start: 0, query: '' }, '王小明'), { value: '@王小明 ', caret: 5 });
});
