import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryStorage } from './fakes.mjs';
import { ALERTS_KEY, createMentionAlerts, createUnread, titleWithCount } from '../../StaticSite/lib/unread.js';

const message = (id, userId, text = 'hi', extra = {}) => ({ id, userId, name: userId, text, sentAt: '', ...extra });

function setUp(options = {}) {
  const rendered = [];
  const unread = createUnread({ isOwn: (userId) => userId === 'me', render: (state) => rendered.push(state), ...options });
  unread.setTitle('#lobby · FunctionsChat');
  return { unread, rendered, last: () => rendered.at(-1) };
}

test('the title starts with the count in parentheses, and is plain without one', () => {
  assert.equal(titleWithCount('#lobby · FunctionsChat', 3), '(3) #lobby · FunctionsChat');
  assert.equal(titleWithCount('#lobby · FunctionsChat', 0), '#lobby · FunctionsChat');
});

test('while hidden, messages from others are counted; shown again, the count clears', () => {
  const { unread, last } = setUp();
  unread.setHidden(true);
  unread.arrived([message('1', 'ann'), message('2', 'bob')]);
  unread.arrived([message('3', 'ann')]);
  assert.deepEqual(last(), { title: '(3) #lobby · FunctionsChat', count: 3 });
  unread.setHidden(false);
  assert.deepEqual(last(), { title: '#lobby · FunctionsChat', count: 0 });
});

test('nothing is counted while the tab is shown', () => {
  const { unread } = setUp();
  unread.arrived([message('1', 'ann')]);
  assert.equal(unread.count, 0);
});

test('my own messages and notices do not count', () => {
  const { unread } = setUp();
  unread.setHidden(true);
  unread.arrived([message('1', 'me'), message('2', 'ann', 'ann joined', { kind: 'join' }), message('3', 'ann')]);
  assert.equal(unread.count, 1);
});

test('a counted message that mentions me is passed on; mine and notices never are', () => {
  const mentioned = [];
  const { unread } = setUp({ mentionsMe: (m) => m.text.includes('@me'), onMention: (m) => mentioned.push(m.id) });
  unread.arrived([message('0', 'ann', 'hi @me')]); // shown: not counted, no alert
  unread.setHidden(true);
  unread.arrived([message('1', 'ann', 'hi @me'), message('2', 'ann', 'hi'), message('3', 'me', '@me'), message('4', 'ann', '@me', { kind: 'join' })]);
  assert.deepEqual(mentioned, ['1']);
});

function fakeNotifier(answer) {
  const shown = [];
  class Notifier {
    static permission = 'default';
    static async requestPermission() {
      Notifier.permission = answer;
      return answer;
    }
    constructor(title, options) {
      shown.push({ title, ...options });
    }
  }
  return { Notifier, shown };
}

test('mention alerts are off by default and turned on with one request for permission', async () => {
  const storage = memoryStorage();
  const { Notifier, shown } = fakeNotifier('granted');
  const alerts = createMentionAlerts({ storage, Notifier });
  assert.equal(alerts.enabled, false);
  assert.equal(alerts.show('#lobby', message('1', 'ann', '@me')), null);

  assert.equal(await alerts.enable(), true);
  assert.equal(storage.getItem(ALERTS_KEY), 'on');
  alerts.show('#lobby', message('2', 'ann', 'hi @me'));
  assert.deepEqual(shown, [{ title: '#lobby', body: 'ann: hi @me', tag: '2' }]);

  alerts.disable();
  assert.equal(alerts.enabled, false);
});

test('a refused permission leaves alerts off', async () => {
  const storage = memoryStorage();
  const alerts = createMentionAlerts({ storage, Notifier: fakeNotifier('denied').Notifier });
  assert.equal(await alerts.enable(), false);
  assert.equal(alerts.enabled, false);
  assert.equal(storage.getItem(ALERTS_KEY), null);
});

test('without the Notification API alerts say they are not supported', async () => {
  const alerts = createMentionAlerts({ storage: memoryStorage(), Notifier: undefined });
  assert.equal(alerts.supported, false);
  assert.equal(await alerts.enable(), false);
});
