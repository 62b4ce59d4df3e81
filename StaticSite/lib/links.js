// http:// and https:// addresses in a message become links; nothing else does. The result is a list of segments the
// page renders with textContent and attributes only, so text is never read as markup.

// Up to whitespace, quotes, angle brackets, and CJK or full-width punctuation ("见 https://a.cn/x。" ends at x).
const CANDIDATE = /https?:\/\/[^\s<>"'\u3000-\u303f\uff00-\uffef]+/giu;
// Punctuation that ends a sentence rather than an address: "see https://a.cn/x." links https://a.cn/x.
const TRAILING = /[.,;:!?*'"»]+$/u;
const CLOSERS = { ')': '(', ']': '[', '}': '{' };

/** Drops trailing punctuation, and closing brackets that have no opening one inside the address. */
function trimEnd(candidate) {
  let url = candidate;
  for (;;) {
    const trimmed = url.replace(TRAILING, '');
    const last = trimmed.at(-1);
    const opener = CLOSERS[last];
    if (opener && count(trimmed, opener) < count(trimmed, last)) {
      url = trimmed.slice(0, -1);
      continue;
    }
    return trimmed;
  }
}

const count = (text, char) => text.split(char).length - 1;

/** An address the browser reads as http(s) with a host, else null. */
function safeHref(url) {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname ? parsed.href : null;
  } catch {
    return null;
  }
}

/**
 * Splits text into `{ text }` and `{ text, href }` segments, in order; joined, their texts give back the input.
 * `href` is the address as the browser normalises it, and is always http: or https:.
 */
export function splitLinks(text) {
  const segments = [];
  let start = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const url = trimEnd(match[0]);
    const href = safeHref(url);
    if (!href) continue;
    if (match.index > start) segments.push({ text: text.slice(start, match.index) });
    segments.push({ text: url, href });
    start = match.index + url.length;
  }
  if (start < text.length) segments.push({ text: text.slice(start) });
  return segments;
}

/** What a link opens with: a new tab that cannot reach back to the page, and no endorsement. */
export const LINK_TARGET = '_blank';
export const LINK_REL = 'noopener noreferrer nofollow';
