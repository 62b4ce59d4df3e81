import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, ROOM_FULL_TYPE } from '../../StaticSite/lib/api.js';
import { translate } from '../../StaticSite/lib/i18n.js';
import { connectionLabel, describeError } from '../../StaticSite/lib/status.js';

const zh = (key, params) => translate('zh-CN', key, params);
const en = (key, params) => translate('en', key, params);
const roomFull = () =>
  new ApiError({ status: 409, type: ROOM_FULL_TYPE, title: 'Room is full', detail: "Room 'lobby' already has 1000 members online." });

test('a full room is described as full in both languages, not as a generic error', () => {
  assert.equal(describeError(roomFull(), zh), '房间已满，暂时无法加入。有人离开后会自动重试，也可以换一个房间。');
  assert.match(describeError(roomFull(), en), /^This room is full/);
  assert.equal(describeError(new ApiError({ status: 409, title: 'Conflict' }), en), 'Something went wrong: Conflict');
});

test('other failures keep their own words', () => {
  assert.equal(describeError(new ApiError({ status: 0 }), en), 'Cannot reach the server; retrying.');
  assert.equal(describeError(new ApiError({ status: 429, retryAfterMs: 2500 }), en), 'Sending too fast; retrying in 3 s.');
  assert.equal(describeError(new ApiError({ status: 400, detail: 'The message text is empty.' }), zh), '未被接受：The message text is empty.');
  assert.equal(describeError(new ApiError({ status: 503 }), zh), '服务器暂时不可用，正在重试。');
});

test('the connection indicator says the room is full, and when the page tries again', () => {
  assert.equal(connectionLabel('full', 12000, zh), '房间已满，12 秒后再试');
  assert.equal(connectionLabel('full', 12000, en), 'Room is full; trying again in 12 s');
  assert.equal(connectionLabel('full', 300, en), 'Room is full');
  assert.equal(connectionLabel('reconnecting', 4000, en), 'Reconnecting in 4 s');
  assert.equal(connectionLabel('reconnecting', 200, zh), '重新连接中…');
  assert.equal(connectionLabel('connected', undefined, zh), '已连接');
});
