// Notices are history entries the server writes about members (join, leave, rename, offline). Each carries an
// English `text` for clients that only know messages; this page says it in the reader's language instead.
const KINDS = new Set(['join', 'leave', 'rename', 'offline']);

/** Whether the entry is a notice rather than something a member wrote. */
export const isNotice = (message) => typeof message?.kind === 'string';

/** The notice in the reader's language; a kind this page does not know yet is shown by the server's text. */
export function noticeText(message, t) {
  if (!KINDS.has(message.kind)) return message.text;
  return t(`notice.${message.kind}`, { name: message.name, newName: message.newName ?? '' });
}
