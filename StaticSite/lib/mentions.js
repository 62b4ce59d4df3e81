// @name mentions: finding them in a message (to highlight them, and to tell whether one is for me) and offering
// names while typing. Names may hold spaces and CJK characters, so a mention is "@" followed by a known name, the
// longest one that fits, and not by a word boundary.

/** Splits the text segments (those without href) of `segments` into `{ text, mention }` pieces for known names. */
export function markMentions(segments, names) {
  const known = [...new Set(names)].filter(Boolean).sort((a, b) => b.length - a.length);
  if (known.length === 0) return segments;
  return segments.flatMap((segment) => (segment.href ? [segment] : splitText(segment.text, known)));
}

function splitText(text, known) {
  const pieces = [];
  let start = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    if (at > 0 && isWordCharacter(text[at - 1])) continue; // an e-mail address, not a mention
    const name = known.find((candidate) => text.startsWith(candidate, at + 1) && endsMention(text, at + 1 + candidate.length));
    if (!name) continue;
    if (at > start) pieces.push({ text: text.slice(start, at) });
    pieces.push({ text: `@${name}`, mention: name });
    start = at + 1 + name.length;
    at = start - 1;
  }
  if (start < text.length) pieces.push({ text: text.slice(start) });
  return pieces;
}

// An ASCII letter or digit before the @ makes it an e-mail address; CJK text runs straight into a mention (你好@王小明).
const isWordCharacter = (char) => /[A-Za-z0-9_.+-]/.test(char);

/** "@Ann" is not a mention of "An": a Latin name must not run on into more Latin letters or digits. */
function endsMention(text, end) {
  const next = text[end];
  return next === undefined || !/[A-Za-z0-9_]/.test(next) || !/[A-Za-z0-9_]$/.test(text.slice(0, end));
}

/** Whether the text mentions `name` (as `markMentions` would mark it). */
export function mentionsName(text, name) {
  return Boolean(name) && markMentions([{ text }], [name]).some((piece) => piece.mention === name);
}

/**
 * The "@..." being typed just before the caret, or null: `{ start, query }`, where start is the index of the "@"
 * and query what follows it. Only at the start or after whitespace or punctuation, and with no line break in it.
 */
export function mentionQuery(value, caret) {
  const before = value.slice(0, caret);
  const at = before.lastIndexOf('@');
  if (at === -1 || (at > 0 && isWordCharacter(before[at - 1]))) return null;
  const query = before.slice(at + 1);
  if (/[\n@]/.test(query) || query.length > 40) return null;
  return { start: at, query };
}

/** Online names that start with the query (ignoring case), sorted, at most `limit`; yourself left out. */
export function suggestNames(query, names, { me = null, limit = 8 } = {}) {
  const wanted = query.toLocaleLowerCase();
  return [...new Set(names)]
    .filter((name) => name && name !== me && name.toLocaleLowerCase().startsWith(wanted))
    .sort((a, b) => a.localeCompare(b))
    .slice(0, limit);
}

/** The draft with the "@query" at `start` replaced by "@name ", and where the caret goes after it. */
export function insertMention(value, { start, query }, name) {
  const inserted = `@${name} `;
  const rest = value.slice(start + 1 + query.length).replace(/^ /, '');
  return { value: value.slice(0, start) + inserted + rest, caret: start + inserted.length };
}
