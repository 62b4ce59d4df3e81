import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LINK_REL, LINK_TARGET, splitLinks } from '../../StaticSite/lib/links.js';

const links = (text) => splitLinks(text).filter((s) => s.href).map((s) => s.text);

test('http and https addresses become links and the rest stays text, in order', () => {
  assert.deepEqual(splitLinks('see https://example.com/a?b=1#c and http://x.cn now'), [
    { text: 'see ' },
    { text: 'https://example.com/a?b=1#c', href: 'https://example.com/a?b=1#c' },
    { text: ' and ' },
    { text: 'http://x.cn', href: 'http://x.cn/' },
    { text: ' now' },
  ]);
});

test('the segments always join back into the text', () => {
  for (const text of ['', 'no links', 'https://a.cn.', '(see https://a.cn/x_(y))!', '链接：https://a.cn/页面。好的', 'javascript:alert(1)']) {
    assert.equal(splitLinks(text).map((s) => s.text).join(''), text);
  }
});

test('trailing punctuation is left out of the link', () => {
  assert.deepEqual(links('Read https://example.com/page.'), ['https://example.com/page']);
  assert.deepEqual(links('Really? https://example.com/a?!'), ['https://example.com/a']);
  assert.deepEqual(links('"https://example.com/q", he said'), ['https://example.com/q']);
  assert.deepEqual(links('(see https://example.com/x)'), ['https://example.com/x']);
  assert.deepEqual(links('https://en.wikipedia.org/wiki/Foo_(bar)'), ['https://en.wikipedia.org/wiki/Foo_(bar)']);
  assert.deepEqual(links('看这个https://example.com/页面。'), ['https://example.com/页面']);
  assert.deepEqual(links('链接：https://example.com/a，谢谢'), ['https://example.com/a']);
});

test('nothing but http and https becomes a link', () => {
  for (const text of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'file:///etc/passwd', 'ftp://example.com',
    'mailto:a@b.cn', 'www.example.com', 'vbscript:msgbox', 'JAVASCRIPT://%0aalert(1)', 'https://', 'https:// spaced.cn']) {
    assert.deepEqual(links(text), [], text);
  }
});

test('markup in a link stays out of the address', () => {
  const [link] = splitLinks('https://example.com/<img src=x onerror=alert(1)>').filter((s) => s.href);
  assert.equal(link.href, 'https://example.com/');
});

test('links open in a new tab that cannot reach back, and pass no endorsement', () => {
  assert.equal(LINK_TARGET, '_blank');
  assert.equal(LINK_REL, 'noopener noreferrer nofollow');
});
