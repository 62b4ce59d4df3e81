import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryStorage } from './fakes.mjs';
import { claimStoredSession, openStorage } from '../../StaticSite/lib/storage.js';

test('localStorage is used when the browser allows it', () => {
  const local = memoryStorage();
  assert.equal(openStorage(() => local), local);
});

test('a refused localStorage falls back to memory for this page', () => {
  const storage = openStorage(() => {
    throw new Error('SecurityError');
  });
  storage.setItem('k', 1);
  assert.equal(storage.getItem('k'), '1');
  storage.removeItem('k');
  assert.equal(storage.getItem('k'), null);
});

test('the first tab gets the stored session, a second one does not, and without Web Locks every tab does', async () => {
  const held = new Set();
  const locks = {
    request(key, options, callback) {
      const lock = held.has(key) ? null : { name: key };
      if (lock) held.add(key);
      callback(lock);
    },
  };
  assert.equal(await claimStoredSession(locks, 's'), true);
  assert.equal(await claimStoredSession(locks, 's'), false);
  assert.equal(await claimStoredSession(undefined, 's'), true);
});
