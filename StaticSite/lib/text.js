// Input rules the server enforces, checked here first so the person sees them before a request is refused.
export const ROOM_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const DEFAULT_ROOM = 'lobby';
export const MAX_TEXT = 2000;
export const MAX_NAME = 40;

/** Characters as the server counts them: Unicode code points, so an emoji is one, not two UTF-16 units. */
export const countCharacters = (text) => [...text].length;

/** The room from a query string like "?room=dev-chat". An invalid name falls back to the default and is reported. */
export function roomFromSearch(search) {
  const requested = new URLSearchParams(search).get('room');
  if (requested === null || requested === '') return { room: DEFAULT_ROOM, rejected: null };
  return ROOM_PATTERN.test(requested) ? { room: requested, rejected: null } : { room: DEFAULT_ROOM, rejected: requested };
}

/** What the send button needs to know about the draft. The server trims, so we count and send the trimmed text. */
export function checkDraft(draft) {
  const text = draft.trim();
  const length = countCharacters(text);
  return { text, length, over: Math.max(0, length - MAX_TEXT), sendable: length > 0 && length <= MAX_TEXT };
}

/** A name to join with: trimmed, 1..MAX_NAME characters, else null. */
export function cleanName(input) {
  const name = input.trim();
  return name && countCharacters(name) <= MAX_NAME ? name : null;
}
