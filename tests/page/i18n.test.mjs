import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingKeys, pickLanguage, translate } from '../../StaticSite/lib/i18n.js';

test('the first supported browser language wins', () => {
  assert.equal(pickLanguage(['zh-CN', 'en-US']), 'zh-CN');
  assert.equal(pickLanguage(['en-GB', 'zh-CN']), 'en');
  assert.equal(pickLanguage(['fr-FR', 'zh-Hans', 'en']), 'zh-CN');
  assert.equal(pickLanguage(['ZH-tw']), 'zh-CN');
});

test('unsupported or missing preferences fall back to English', () => {
  assert.equal(pickLanguage(['fr', 'de']), 'en');
  assert.equal(pickLanguage([]), 'en');
  assert.equal(pickLanguage(), 'en');
});

test('strings exist in both languages', () => {
  assert.deepEqual(missingKeys(), []);
  assert.equal(translate('zh-CN', 'send'), '发送');
  assert.equal(translate('en', 'send'), 'Send');
});

test('placeholders are filled; unknown ones are left visible', () => {
  assert.equal(translate('en', 'state.reconnectingIn', { seconds: 4 }), 'Reconnecting in 4 s');
  assert.equal(translate('zh-CN', 'tooLong', { count: 3 }), '超出 3 个字');
  assert.equal(translate('en', 'tooLong'), '{count} over the limit');
});

test('an unknown language falls back to English text', () => {
  assert.equal(translate('fr', 'send'), 'Send');
});
