// DOM building. User data only ever goes in through textContent or attributes, never as markup.
import { LINK_REL, LINK_TARGET, splitLinks } from '../lib/links.js';
import { markMentions } from '../lib/mentions.js';
import { formatFull, formatSentAt } from '../lib/time.js';

const SVG = 'http://www.w3.org/2000/svg';
const AVATAR_HUES = 8;
const BOTTOM_SLACK_PX = 48;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A stable colour per person (a CSS class, since the CSP forbids inline styles). */
function hueClass(userId) {
  let hash = 0;
  for (const char of userId) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return `hue-${hash % AVATAR_HUES}`;
}

function avatar(name, userId) {
  const node = element('span', `avatar ${hueClass(userId)}`, [...name][0] ?? '?');
  node.setAttribute('aria-hidden', 'true');
  return node;
}

/** Links and @mentions of `names` as elements, the rest as text nodes; `me` marks mentions of this person. */
function richText(text, { names = [], me = null } = {}) {
  return markMentions(splitLinks(text), names).map((piece) => {
    if (piece.href) {
      const link = element('a', 'link', piece.text);
      link.href = piece.href;
      link.target = LINK_TARGET;
      link.rel = LINK_REL;
      return link;
    }
    if (piece.mention) return element('span', piece.mention === me ? 'mention mention-me' : 'mention', piece.text);
    return document.createTextNode(piece.text);
  });
}

function bubble(name, userId, text, timeNode, textOptions) {
  const meta = element('div', 'meta');
  meta.append(element('span', 'author', name));
  if (timeNode) meta.append(timeNode);
  const body = element('div', 'bubble');
  const paragraph = element('p', 'text');
  paragraph.append(...(textOptions ? richText(text, textOptions) : [document.createTextNode(text)]));
  paragraph.dataset.testid = 'message-text';
  body.append(meta, paragraph);
  return [avatar(name, userId), body];
}

function timeElement(sentAt, lang) {
  const node = element('time', 'sent-at', formatSentAt(sentAt, lang));
  node.dateTime = sentAt;
  node.title = formatFull(sentAt, lang);
  return node;
}

/** `names`: whose @mentions to highlight; `me`: this person's name; `mentionsMe`: marks the whole message for them. */
export function messageElement(message, { own, lang, names, me, mentionsMe = false }) {
  const item = element('li', ['message', own && 'own', mentionsMe && 'mentions-me'].filter(Boolean).join(' '));
  item.dataset.testid = 'message';
  item.dataset.id = message.id;
  item.dataset.userId = message.userId;
  item.append(...bubble(message.name, message.userId, message.text, timeElement(message.sentAt, lang), { names, me }));
  return item;
}

/** A quiet line for a notice (join, leave, rename, offline), in the reader's language. */
export function noticeElement(message, { text, lang }) {
  const item = element('li', 'notice');
  item.dataset.testid = 'notice';
  item.dataset.id = message.id;
  item.dataset.kind = message.kind;
  const line = element('p', 'notice-text', text);
  line.dataset.testid = 'notice-text';
  item.append(line, timeElement(message.sentAt, lang));
  return item;
}

/** Runs `insertAbove` (which adds content above what is shown) and keeps the reader's place: no jump. */
export function keepPlace(scroller, insertAbove) {
  const fromBottom = scroller.scrollHeight - scroller.scrollTop;
  insertAbove();
  scroller.scrollTop = scroller.scrollHeight - fromBottom;
}

/** Inserts in id order: usually at the end, but a late-committed message can land before newer ones. */
export function insertMessage(list, item, nextId) {
  const next = nextId ? list.querySelector(`[data-id="${CSS.escape(nextId)}"]`) : null;
  list.insertBefore(item, next);
}

export function pendingElement(entry, member, statusText) {
  const item = element('li', 'message own pending');
  item.dataset.testid = 'pending-message';
  item.dataset.clientMessageId = entry.clientMessageId;
  const status = element('span', 'pending-status', statusText);
  item.append(...bubble(member.name, member.userId, entry.text, status));
  return item;
}

export function findPending(outbox, entry) {
  return outbox.querySelector(`[data-client-message-id="${CSS.escape(entry.clientMessageId)}"]`);
}

export function renderMembers(list, members, { me, youText, nobodyText }) {
  const items = [...members]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((member) => {
      const item = element('li', member.userId === me ? 'member me' : 'member');
      item.dataset.testid = 'online-member';
      item.dataset.userId = member.userId;
      item.append(avatar(member.name, member.userId), element('span', 'member-name', member.name));
      if (member.userId === me) item.append(element('span', 'member-you', youText));
      return item;
    });
  list.replaceChildren(...(items.length ? items : [element('li', 'member none', nobodyText)]));
}

export function isAtBottom(scroller) {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < BOTTOM_SLACK_PX;
}

export function scrollToBottom(scroller) {
  scroller.scrollTop = scroller.scrollHeight;
}

/**
 * Grouped bars: per minute, long polling next to polling, scaled to the busiest minute. `description` says the same
 * numbers in words, for whoever cannot see the bars.
 */
export function renderChart(svg, seriesByMode, description) {
  const [width, bottom] = [200, 56]; // viewBox is 200×64; the gap below the axis is breathing room
  const modes = Object.keys(seriesByMode);
  const minutes = seriesByMode[modes[0]].length;
  const peak = Math.max(1, ...modes.flatMap((mode) => seriesByMode[mode]));
  const slot = width / minutes;
  const barWidth = (slot - 4) / modes.length;
  const nodes = [];
  modes.forEach((mode, modeIndex) => {
    seriesByMode[mode].forEach((count, minute) => {
      const barHeight = (count / peak) * (bottom - 8);
      const bar = document.createElementNS(SVG, 'rect');
      bar.setAttribute('class', `bar series-${mode}`);
      bar.setAttribute('x', String(minute * slot + 2 + modeIndex * barWidth));
      bar.setAttribute('y', String(bottom - barHeight));
      bar.setAttribute('width', String(barWidth));
      bar.setAttribute('height', String(barHeight));
      nodes.push(bar);
    });
  });
  const axis = document.createElementNS(SVG, 'line');
  axis.setAttribute('class', 'axis');
  for (const [name, value] of Object.entries({ x1: 0, x2: width, y1: bottom, y2: bottom })) axis.setAttribute(name, String(value));
  const peakLabel = document.createElementNS(SVG, 'text');
  peakLabel.setAttribute('class', 'peak');
  peakLabel.setAttribute('x', String(width));
  peakLabel.setAttribute('y', '7');
  peakLabel.textContent = String(peak);
  const desc = svg.querySelector('desc');
  desc.textContent = description;
  svg.replaceChildren(desc, axis, peakLabel, ...nodes);
}
