import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSession, NAME_KEY, sessionKey } from '../../StaticSite/lib/session.js';
import { memoryStorage } from './fakes.mjs';

function fakeApi() {
  let next = 0;
  const joins = [];
  const leaves = [];
  return {
    joins,
    leaves,
    join: async (room, name, replacingToken) => {
      joins.push(replacingToken ? { room, name, replacingToken } : { room, name });
      if (replacingToken === 'refused') throw Object.assign(new Error('refused'), { status: 401 });
      next += 1;
      return { userId: `u${next}`, name: name ?? '随机名', room, token: `t${next}` };
    },
    leave: async (room, userId, token) => {
      leaves.push({ room, userId, token });
      return null;
    },
  };
}

test('first visit joins without a name and remembers the name and the session', async () => {
  const api = fakeApi();
  const storage = memoryStorage();
  const session = createSession({ api, room: 'lobby', storage });
  const member = await session.ensure();
  assert.deepEqual(api.joins, [{ room: 'lobby', name: undefined }]);
  assert.equal(member.name, '随机名');
  assert.equal(storage.getItem(NAME_KEY), '随机名');
  assert.equal(JSON.parse(storage.getItem(sessionKey('lobby'))).token, 't1');
});

test('a reload reuses the stored member instead of joining as a stranger', async () => {
  const storage = memoryStorage({
    [NAME_KEY]: '李雷',
    [sessionKey('lobby')]: JSON.stringify({ userId: 'u9', name: '李雷', token: 't9', ownIds: ['u9'] }),
  });
  const api = fakeApi();
  const session = createSession({ api, room: 'lobby', storage });
  assert.equal((await session.ensure()).userId, 'u9');
  assert.equal(api.joins.length, 0);
  assert.ok(session.isOwn('u9'));
});

test('rejoin after 410 keeps the name, and older messages stay marked as own', async () => {
  const storage = memoryStorage({
    [NAME_KEY]: '李雷',
    [sessionKey('lobby')]: JSON.stringify({ userId: 'u9', name: '李雷', token: 't9', ownIds: ['u9'] }),
  });
  const api = fakeApi();
  const session = createSession({ api, room: 'lobby', storage });
  const stale = await session.ensure();
  const fresh = await session.rejoin(stale);
  assert.deepEqual(api.joins, [{ room: 'lobby', name: '李雷' }]);
  assert.equal(fresh.name, '李雷');
  assert.ok(session.isOwn('u9') && session.isOwn(fresh.userId));
});

test('two parts of the page discovering the same 410 cause one join', async () => {
  const api = fakeApi();
  const session = createSession({ api, room: 'lobby', storage: memoryStorage() });
  const stale = await session.ensure();
  const [a, b] = await Promise.all([session.rejoin(stale), session.rejoin(stale)]);
  assert.equal(api.joins.length, 2); // the first join plus exactly one rejoin
  assert.equal(a, b);
  const again = await session.rejoin(stale); // stale news: someone already rejoined
  assert.equal(again, a);
  assert.equal(api.joins.length, 2);
});

test('a tab that does not own the stored session neither reads nor overwrites it', async () => {
  const stored = JSON.stringify({ userId: 'u9', name: '李雷', token: 't9' });
  const storage = memoryStorage({ [NAME_KEY]: '李雷', [sessionKey('lobby')]: stored });
  const api = fakeApi();
  const session = createSession({ api, room: 'lobby', storage, persist: false });
  const member = await session.ensure();
  assert.equal(member.name, '李雷');
  assert.notEqual(member.userId, 'u9');
  assert.equal(storage.getItem(sessionKey('lobby')), stored);
});

test('rename is one join carrying the old member\'s token, which the server replaces: no separate leave', async () => {
  const api = fakeApi();
  const storage = memoryStorage();
  const session = createSession({ api, room: 'lobby', storage });
  const before = await session.ensure();
  const after = await session.rename('韩梅梅');
  assert.equal(after.name, '韩梅梅');
  assert.equal(storage.getItem(NAME_KEY), '韩梅梅');
  assert.deepEqual(api.joins.at(-1), { room: 'lobby', name: '韩梅梅', replacingToken: before.token });
  assert.deepEqual(api.leaves, []);
});

test('a rename whose token the server refuses becomes a plain join under the new name', async () => {
  const api = fakeApi();
  const storage = memoryStorage({ [sessionKey('lobby')]: JSON.stringify({ userId: 'old', name: 'Li', token: 'refused' }) });
  const session = createSession({ api, room: 'lobby', storage });
  const after = await session.rename('Lee');
  assert.equal(after.name, 'Lee');
  assert.deepEqual(api.joins.slice(-2), [
    { room: 'lobby', name: 'Lee', replacingToken: 'refused' },
    { room: 'lobby', name: 'Lee' },
  ]);
});

test('leave deletes the member and forgets the stored session', async () => {
  const api = fakeApi();
  const storage = memoryStorage();
  const changes = [];
  const session = createSession({ api, room: 'lobby', storage, onChange: (m) => changes.push(m) });
  await session.ensure();
  await session.leave();
  assert.equal(api.leaves.length, 1);
  assert.equal(storage.getItem(sessionKey('lobby')), null);
  assert.equal(session.current, null);
  assert.equal(changes.at(-1), null);
});

test('a corrupt stored session is ignored', async () => {
  const storage = memoryStorage({ [sessionKey('lobby')]: '{not json' });
  const api = fakeApi();
  await createSession({ api, room: 'lobby', storage }).ensure();
  assert.equal(api.joins.length, 1);
});
