import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, createApi, isRoomFull, ROOM_FULL_TYPE } from '../../StaticSite/lib/api.js';
import { jsonResponse, scriptedFetch } from './fakes.mjs';

const member = { userId: 'u1', name: '张三', room: 'lobby', token: 'tok' };

test('join posts the optional name as JSON to the room members route', async () => {
  const { fetch, calls } = scriptedFetch(() => jsonResponse(201, member));
  const api = createApi({ base: '/api/', fetch });
  assert.deepEqual(await api.join('lobby', '张三'), member);
  assert.equal(calls[0].url, '/api/rooms/lobby/members');
  assert.equal(calls[0].method, 'POST');
  assert.deepEqual(calls[0].body, { name: '张三' });
  assert.equal(calls[0].headers['Content-Type'], 'application/json');
});

test('a rename is a join that carries the member\'s own token', async () => {
  const { fetch, calls } = scriptedFetch(() => jsonResponse(201, member));
  await createApi({ base: '/api', fetch }).join('lobby', 'Lee', 'old-token');
  assert.equal(calls[0].headers.Authorization, 'Bearer old-token');
  assert.deepEqual(calls[0].body, { name: 'Lee' });
});

test('a plain join sends no Authorization header', async () => {
  const { fetch, calls } = scriptedFetch(() => jsonResponse(201, member));
  await createApi({ base: '/api', fetch }).join('lobby', 'Lee');
  assert.equal(calls[0].headers.Authorization, undefined);
});

test('joining without a name sends an empty object so the server picks one', async () => {
  const { fetch, calls } = scriptedFetch(() => jsonResponse(201, member));
  await createApi({ base: '/api', fetch }).join('lobby');
  assert.deepEqual(calls[0].body, {});
});

test('send carries the Bearer token and the clientMessageId', async () => {
  const message = { id: '1', text: 'hi' };
  const { fetch, calls } = scriptedFetch(() => jsonResponse(201, message));
  const api = createApi({ base: 'https://chat.example/api', fetch });
  assert.deepEqual(await api.send('lobby', { text: 'hi', clientMessageId: 'c-1' }, 'tok'), message);
  assert.equal(calls[0].url, 'https://chat.example/api/rooms/lobby/messages');
  assert.equal(calls[0].headers.Authorization, 'Bearer tok');
  assert.deepEqual(calls[0].body, { text: 'hi', clientMessageId: 'c-1' });
});

test('history builds its query and unwraps the messages array', async () => {
  const { fetch, calls } = scriptedFetch(
    () => jsonResponse(200, { messages: [{ id: '2' }] }),
    () => jsonResponse(200, { messages: [] }),
  );
  const api = createApi({ base: '/api', fetch });
  assert.deepEqual(await api.history('lobby', { after: '1', limit: 100 }), [{ id: '2' }]);
  assert.equal(calls[0].url, '/api/rooms/lobby/messages?after=1&limit=100');
  await api.history('lobby');
  assert.equal(calls[1].url, '/api/rooms/lobby/messages');
});

test('updates asks for the timeout with the token and passes on the latest id; leave resolves to null on 204', async () => {
  const { fetch, calls } = scriptedFetch(
    () => jsonResponse(200, { messages: [], latestId: 'x9' }),
    () => new Response(null, { status: 204 }),
    () => jsonResponse(200, { messages: [{ id: 'a' }] }),
  );
  const api = createApi({ base: '/api', fetch });
  assert.deepEqual(await api.updates('lobby', 30, 'tok'), { messages: [], latestId: 'x9' });
  assert.equal(calls[0].url, '/api/rooms/lobby/updates?timeout=30');
  assert.equal(calls[0].headers.Authorization, 'Bearer tok');
  assert.equal(await api.leave('lobby', 'u 1', 'tok'), null);
  assert.equal(calls[1].url, '/api/rooms/lobby/members/u%201');
  assert.equal(calls[1].method, 'DELETE');
  assert.deepEqual(await api.updates('lobby', 30, 'tok'), { messages: [{ id: 'a' }], latestId: null }, 'an older server names none');
});

test('a problem body becomes an ApiError with status, title, detail and a readable message', async () => {
  const problem = { status: 400, title: 'Bad request', detail: 'Text is longer than 2000 characters.' };
  const { fetch } = scriptedFetch(() => jsonResponse(400, problem));
  const error = await createApi({ base: '/api', fetch })
    .send('lobby', { text: 'x', clientMessageId: 'c' }, 'tok')
    .catch((e) => e);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 400);
  assert.equal(error.title, 'Bad request');
  assert.equal(error.message, 'Text is longer than 2000 characters.');
});

test('429 exposes Retry-After in milliseconds', async () => {
  const { fetch } = scriptedFetch(() => jsonResponse(429, { status: 429, title: 'Too many' }, { 'Retry-After': '4' }));
  const error = await createApi({ base: '/api', fetch }).send('lobby', { text: 'x' }, 'tok').catch((e) => e);
  assert.equal(error.status, 429);
  assert.equal(error.retryAfterMs, 4000);
  assert.equal(error.message, 'Too many');
});

test('a non-JSON error page still yields the status', async () => {
  const { fetch } = scriptedFetch(() => new Response('<html>Bad Gateway</html>', { status: 502 }));
  const error = await createApi({ base: '/api', fetch }).members('lobby').catch((e) => e);
  assert.equal(error.status, 502);
  assert.equal(error.message, 'HTTP 502');
});

test('a network failure is status 0', async () => {
  const fetch = async () => {
    throw new TypeError('Failed to fetch');
  };
  const error = await createApi({ base: '/api', fetch }).members('lobby').catch((e) => e);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 0);
});

test("the caller's abort passes through as an abort, not as a network error", async () => {
  const controller = new AbortController();
  const fetch = (url, { signal }) =>
    new Promise((_, reject) => signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
  const pending = createApi({ base: '/api', fetch }).updates('lobby', 30, 'tok', controller.signal);
  controller.abort();
  const error = await pending.catch((e) => e);
  assert.equal(error.name, 'AbortError');
});

test('a join refused because the room is full is recognised by its problem type', async () => {
  const full = { type: ROOM_FULL_TYPE, status: 409, title: 'Room is full', detail: "Room 'lobby' already has 1000 members online." };
  const { fetch } = scriptedFetch(
    () => jsonResponse(409, full),
    () => jsonResponse(409, { type: 'about:blank', status: 409, title: 'Conflict' }),
    () => jsonResponse(410, { type: ROOM_FULL_TYPE, status: 410, title: 'Gone' }),
  );
  const api = createApi({ base: '/api', fetch });
  const error = await api.join('lobby').catch((e) => e);
  assert.equal(error.type, ROOM_FULL_TYPE);
  assert.equal(isRoomFull(error), true);
  assert.equal(isRoomFull(await api.join('lobby').catch((e) => e)), false, 'another conflict is not a full room');
  assert.equal(isRoomFull(await api.join('lobby').catch((e) => e)), false, 'only a 409 is');
  assert.equal(isRoomFull(new ApiError({ status: 0 })), false);
});
