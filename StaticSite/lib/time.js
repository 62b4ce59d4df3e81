// Message times in the reader's language and time zone (Intl replaces the tutorial's moment.js).
const formatters = new Map();

function formatter(lang, options) {
  const key = `${lang}|${JSON.stringify(options)}`;
  if (!formatters.has(key)) formatters.set(key, new Intl.DateTimeFormat(lang, options));
  return formatters.get(key);
}

/** Short time for today's messages; older ones also show the date, or "10:42" alone would be ambiguous. */
export function formatSentAt(sentAt, lang, now = new Date()) {
  const date = new Date(sentAt);
  const sameDay = date.toDateString() === now.toDateString();
  const options = sameDay
    ? { hour: '2-digit', minute: '2-digit' }
    : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  return formatter(lang, options).format(date);
}

/** The full timestamp, for the tooltip. */
export const formatFull = (sentAt, lang) =>
  formatter(lang, { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(sentAt));
