import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDraft, cleanName, countCharacters, roomFromSearch } from '../../StaticSite/lib/text.js';

test('room comes from ?room= and defaults to lobby', () => {
  assert.deepEqual(roomFromSearch(''), { room: 'lobby', rejected: null });
  assert.deepEqual(roomFromSearch('?room=dev-chat-1'), { room: 'dev-chat-1', rejected: null });
});

test('a room name outside ^[a-z0-9][a-z0-9-]{0,31}$ is rejected and reported', () => {
  for (const bad of ['Upper', '-dash', 'a'.repeat(33), 'sp ace', '中文']) {
    assert.deepEqual(roomFromSearch(`?room=${encodeURIComponent(bad)}`), { room: 'lobby', rejected: bad });
  }
  assert.equal(roomFromSearch(`?room=${'a'.repeat(32)}`).rejected, null);
});

test('characters are counted as code points, like the server', () => {
  assert.equal(countCharacters('😀😀'), 2);
  assert.equal('😀😀'.length, 4);
});

test('the draft is trimmed, and empty or over-long drafts are not sendable', () => {
  assert.deepEqual(checkDraft('  hi \n'), { text: 'hi', length: 2, over: 0, sendable: true });
  assert.equal(checkDraft(' \n\t ').sendable, false);
  assert.equal(checkDraft('😀'.repeat(2000)).sendable, true);
  const tooLong = checkDraft('x'.repeat(2003));
  assert.equal(tooLong.sendable, false);
  assert.equal(tooLong.over, 3);
});

test('names are trimmed and limited to 40 characters', () => {
  assert.equal(cleanName('  李雷  '), '李雷');
  assert.equal(cleanName('   '), null);
  assert.equal(cleanName('名'.repeat(40)), '名'.repeat(40));
  assert.equal(cleanName('名'.repeat(41)), null);
});
