import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translate } from '../../StaticSite/lib/i18n.js';
import { isNotice, noticeText } from '../../StaticSite/lib/notices.js';

const notice = (kind, extra = {}) => ({ id: '1', userId: 'u', name: '王小明', text: `server text ${kind}`, sentAt: '', kind, ...extra });

test('a notice has a kind; a message has none', () => {
  assert.equal(isNotice(notice('join')), true);
  assert.equal(isNotice({ id: '1', name: 'a', text: 'hi' }), false);
});

test('each kind reads in the reader\'s language', () => {
  const en = (key, params) => translate('en', key, params);
  const zh = (key, params) => translate('zh-CN', key, params);
  assert.equal(noticeText(notice('join'), en), '王小明 joined');
  assert.equal(noticeText(notice('leave'), en), '王小明 left');
  assert.equal(noticeText(notice('rename', { newName: 'Emma' }), en), '王小明 is now Emma');
  assert.equal(noticeText(notice('offline'), en), '王小明 went offline');
  assert.equal(noticeText(notice('join'), zh), '王小明 加入了房间');
  assert.equal(noticeText(notice('leave'), zh), '王小明 离开了房间');
  assert.equal(noticeText(notice('rename', { newName: 'Emma' }), zh), '王小明 改名为 Emma');
  assert.equal(noticeText(notice('offline'), zh), '王小明 已掉线');
});

test('a kind this page does not know yet shows the server\'s text', () => {
  assert.equal(noticeText(notice('kicked'), (key) => key), 'server text kicked');
});
