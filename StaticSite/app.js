// Wires the pure modules in lib/ to the page. Everything that can be tested without a browser lives in lib/.
import { apiBase } from './config.js';
import { createApi } from './lib/api.js';
import { createBackoff } from './lib/backoff.js';
import { createCompletenessCheck } from './lib/completeness.js';
import { OVERLAP_MS, readMissing, readMissingBefore, RECONNECT_OVERLAP_MS } from './lib/cursor.js';
import { LANGUAGES, pickLanguage, translate } from './lib/i18n.js';
import { runLongPoll } from './lib/longpoll.js';
import { mergeMessages, nextIdAfter } from './lib/merge.js';
import { mentionsName } from './lib/mentions.js';
import { createMeter } from './lib/meter.js';
import { isNotice, noticeText } from './lib/notices.js';
import { createOutbox } from './lib/outbox.js';
import { runPolling } from './lib/polling.js';
import { sleep } from './lib/retry.js';
import { createScrollback } from './lib/scrollback.js';
import { createSession, sessionKey } from './lib/session.js';
import { connectionLabel, describeError as describeFor } from './lib/status.js';
import { claimStoredSession, openStorage } from './lib/storage.js';
import { checkDraft, cleanName, MAX_TEXT, roomFromSearch } from './lib/text.js';
import { formatSentAt } from './lib/time.js';
import { createAttention } from './ui/attention.js';
import { createErrorLine } from './ui/error-line.js';
import { attachMentionPicker } from './ui/mention-picker.js';
import { renderMeters as renderMeterPanel } from './ui/meters.js';
import { attachScrollback } from './ui/scrollback.js';
import * as view from './ui/view.js';

const LANGUAGE_KEY = 'functionsChat.lang';
const MODE_KEY = 'functionsChat.mode';
const MODES = ['longpoll', 'polling'];
const PAGE_SIZE = 100;
const MEMBERS_REFRESH_MS = 12000;
const ERROR_VISIBLE_MS = 8000;

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const ui = Object.fromEntries(
  [
    'room-name', 'name-display', 'change-name', 'name-form', 'name-input', 'name-cancel', 'connection-state',
    'language-switch', 'leave', 'join-again', 'error', 'scroller', 'empty', 'message-list', 'outbox', 'new-messages',
    'online-count', 'online-list', 'mode-switch', 'meter-chart', 'composer', 'message-input', 'char-counter',
    'send-button', 'room-start', 'log-status', 'mention-options', 'mention-status', 'mention-alerts',
  ].map((id) => [id, byTestId(id)]),
);

const storage = openStorage();
const errorLine = createErrorLine(ui.error, ERROR_VISIBLE_MS);
const api = createApi({ base: apiBase });
const { room, rejected: rejectedRoom } = roomFromSearch(location.search);
const meters = Object.fromEntries(MODES.map((mode) => [mode, createMeter()]));

let lang = storage.getItem(LANGUAGE_KEY) ?? pickLanguage(navigator.languages ?? [navigator.language]);
let mode = MODES.includes(storage.getItem(MODE_KEY)) ? storage.getItem(MODE_KEY) : 'longpoll';
let messages = []; // sorted by id, as the server accepted them
let initialLoadDone = false;
let delivery = null; // AbortController of the running delivery loop
let connection = { state: 'connecting' };
let onlineNames = [];
let lastMember = null; // the member we acted as before the latest session change

const t = (key, params) => translate(lang, key, params);

const session = createSession({
  api,
  room,
  storage,
  persist: await claimStoredSession(navigator.locks, sessionKey(room)),
  onChange: (member) => {
    ui['name-display'].textContent = member?.name ?? (session.storedName() || '…');
    if (member) refreshMembers();
    // A rejoin (say, by the send queue after a 410) gives a new member with a new, empty queue: restart delivery so
    // it polls that queue and catches up on what the old member missed, instead of waiting out the old long poll.
    if (member && lastMember && member.userId !== lastMember.userId && delivery) startDelivery();
    lastMember = member ?? lastMember;
  },
});
lastMember = session.current;

const outbox = createOutbox({
  session,
  sendAs: (member, body) => api.send(room, body, member.token),
  backoff: createBackoff(),
  sleep: (ms) => sleep(ms),
  onSent: (entry, message) => {
    view.findPending(ui.outbox, entry)?.remove();
    receive([message], null);
  },
  onRetry: (entry, error) => {
    const item = view.findPending(ui.outbox, entry);
    if (item) item.querySelector('.pending-status').textContent = t('retrying');
    if (error.status === 429) showError(describeError(error));
  },
  onFailed: (entry, error) => {
    view.findPending(ui.outbox, entry)?.remove();
    if (!ui['message-input'].value) ui['message-input'].value = entry.text; // give the words back to edit
    updateCounter();
    showError(t('error.notSent', { detail: describeError(error) }));
  },
});

// ---- messages ------------------------------------------------------------------------------------------------

const myName = () => session.current?.name ?? session.storedName();
const attention = createAttention({
  room, storage, myName, isOwn: (userId) => session.isOwn(userId), button: ui['mention-alerts'],
  onDenied: () => showError(t('mentionAlertsDenied')),
});
const loadOlderIfNearTop = attachScrollback({
  ui, t, render, announceLog: startAnnouncing, ready: () => initialLoadDone, oldestId: () => messages[0]?.id,
  scrollback: createScrollback({ readPage: (query) => api.history(room, query), pageSize: PAGE_SIZE }),
});

/** Merges and renders. `meter` is the delivery mode's meter when the messages arrived live, else null. */
function receive(incoming, meter) {
  const stickToBottom = view.isAtBottom(ui.scroller);
  const added = render(incoming);
  if (added.length === 0) return;
  if (meter) {
    // Only others' messages: one's own usually comes back from its POST first (not counted), but the long poll can win
    // that race, and the meter must not depend on which did.
    const fromOthers = added.filter((m) => !session.isOwn(m.userId));
    meter.recordMessages(fromOthers.map((m) => m.sentAt));
    // Someone who just spoke is online: show them now rather than at the next timed refresh.
    if (added.some((m) => isNotice(m) || !isListedOnline(m.userId))) refreshMembers();
    attention.arrived(added);
  }
  if (stickToBottom) view.scrollToBottom(ui.scroller);
  else ui['new-messages'].hidden = false;
  requestAnimationFrame(loadOlderIfNearTop); // a short room fits without scrolling: find its start anyway
}

/** Merges into `messages` and puts the new ones on the page; returns them. */
function render(incoming) {
  const { list, added } = mergeMessages(messages, incoming);
  if (added.length === 0) return added;
  messages = list;
  const names = [...new Set([...onlineNames, ...list.map((m) => m.name)])];
  // Newest first: each message goes before the one that follows it in `list`, which must already be on the page. In
  // id order, two older messages arriving together after a newer one (a gap fill) would put the first at the end.
  for (const message of [...added].reverse()) {
    view.insertMessage(ui['message-list'], entryElement(message, names), nextIdAfter(list, message.id));
  }
  ui.empty.hidden = true;
  return added;
}

function entryElement(message, names) {
  if (isNotice(message)) return view.noticeElement(message, { text: noticeText(message, t), lang });
  const own = session.isOwn(message.userId);
  if (own) {
    const entry = outbox.claimDelivered(message);
    if (entry) view.findPending(ui.outbox, entry)?.remove();
  }
  const me = myName();
  return view.messageElement(message, { own, lang, names, me, mentionsMe: !own && mentionsName(message.text, me) });
}

/**
 * The message log stays silent while the history loads and reads out what arrives after. The switch waits for a
 * frame, so the browser has taken in the history as added to a silent log before the log turns polite.
 */
function startAnnouncing() {
  requestAnimationFrame(() => setTimeout(() => ui.scroller.setAttribute('aria-live', 'polite')));
}

// ---- delivery loops ------------------------------------------------------------------------------------------

function startDelivery() {
  delivery?.abort();
  delivery = new AbortController();
  const { signal } = delivery;
  const meter = meters[mode];
  const loop = mode === 'polling' ? runPolling : runLongPoll;
  const readPage = (query) => {
    meter.recordRequest();
    return api.history(room, query, signal);
  };
  const completeness = createCompletenessCheck({
    holds: (id) => messages.some((m) => m.id === id),
    oldestHeld: () => messages[0]?.id ?? null,
    fill: async (id) => receive(await readMissingBefore(readPage, messages, id, PAGE_SIZE), meter),
  });
  signal.addEventListener('abort', () => completeness.clear(), { once: true });
  loop({
    session,
    poll: (member, seconds) => {
      meter.recordRequest();
      return api.updates(room, seconds, member.token, signal);
    },
    catchUp: async () => {
      completeness.clear();
      receive(await readMissing(readPage, messages, PAGE_SIZE, mode === 'polling' ? OVERLAP_MS : RECONNECT_OVERLAP_MS), initialLoadDone ? meter : null);
      if (!initialLoadDone) startAnnouncing();
      initialLoadDone = true;
    },
    onMessages: (incoming) => receive(incoming, meter),
    onLatest: (id) => completeness.expect(id),
    onState: setConnection,
    backoff: createBackoff(),
    wait: sleep,
    signal,
  });
}

function stopDelivery() {
  delivery?.abort();
  delivery = null;
}

function setConnection(state, { delayMs } = {}) {
  connection = { state, delayMs };
  renderConnection();
}

function renderConnection() {
  const state = navigator.onLine === false && connection.state === 'reconnecting' ? 'offline' : connection.state;
  ui['connection-state'].dataset.state = state;
  ui['connection-state'].querySelector('.connection-label').textContent = connectionLabel(state, connection.delayMs, t);
}

async function refreshMembers() {
  try {
    const members = await api.members(room);
    onlineNames = members.map((m) => m.name);
    view.renderMembers(ui['online-list'], members, {
      me: session.current?.userId,
      youText: t('you'),
      nobodyText: t('nobodyOnline'),
    });
    ui['online-count'].textContent = String(members.length);
  } catch {
    // The connection indicator already tells the story; the list refreshes again shortly.
  }
}

function isListedOnline(userId) {
  return ui['online-list'].querySelector(`[data-user-id="${CSS.escape(userId)}"]`) !== null;
}

const renderMeters = () => renderMeterPanel({ meters, modes: MODES, t, lang, byTestId, chart: ui['meter-chart'] });

// ---- composing -----------------------------------------------------------------------------------------------

function updateCounter() {
  const draft = checkDraft(ui['message-input'].value);
  ui['char-counter'].textContent = draft.over
    ? `${draft.length} / ${MAX_TEXT} · ${t('tooLong', { count: draft.over })}`
    : `${draft.length} / ${MAX_TEXT}`;
  ui['char-counter'].classList.toggle('over', draft.over > 0);
  ui['char-counter'].classList.toggle('near', !draft.over && draft.length > MAX_TEXT * 0.9);
  ui['send-button'].disabled = !draft.sendable;
  ui['message-input'].setAttribute('aria-invalid', String(draft.over > 0));
}

function sendDraft() {
  const draft = checkDraft(ui['message-input'].value);
  if (!draft.sendable) return;
  const entry = outbox.enqueue(draft.text);
  const me = session.current ?? { name: session.storedName(), userId: '' };
  ui.outbox.append(view.pendingElement(entry, me, t('sending')));
  ui['message-input'].value = '';
  updateCounter();
  view.scrollToBottom(ui.scroller);
  ui['new-messages'].hidden = true;
}

// ---- errors & language ---------------------------------------------------------------------------------------

function describeError(error) {
  return describeFor(error, t);
}

const showError = (text) => errorLine.show(text);

function applyLanguage(next) {
  lang = LANGUAGES.includes(next) ? next : 'en';
  document.documentElement.lang = lang;
  ui['language-switch'].value = lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
  attention.setTitle(`#${room} · ${t('appTitle')}`);
  // The text node's data changes rather than the node itself: the log announces additions, and a new text node is one.
  for (const node of ui['message-list'].querySelectorAll('time')) node.firstChild.data = formatSentAt(node.dateTime, lang);
  for (const node of ui['message-list'].querySelectorAll('[data-testid="notice-text"]')) {
    node.firstChild.data = noticeText(messages.find((m) => m.id === node.parentElement.dataset.id), t);
  }
  renderConnection();
  renderMeters();
  updateCounter();
  refreshMembers();
}

// ---- identity ------------------------------------------------------------------------------------------------

function toggleNameForm(open) {
  ui['name-form'].hidden = !open;
  ui['change-name'].hidden = open;
  ui['name-display'].hidden = open;
  if (open) {
    ui['name-input'].value = session.current?.name ?? session.storedName();
    ui['name-input'].select();
  } else {
    ui['change-name'].focus();
  }
}

async function rename(event) {
  event.preventDefault();
  const name = cleanName(ui['name-input'].value);
  if (!name) return showError(t('error.nameTooLong'));
  toggleNameForm(false);
  stopDelivery();
  setConnection('connecting');
  try {
    await session.rename(name);
  } catch (error) {
    showError(describeError(error));
  }
  startDelivery(); // joins with the stored name if the rename did not get through
}

async function leave() {
  stopDelivery();
  ui.leave.hidden = true;
  ui['join-again'].hidden = false;
  setConnection('left');
  try {
    await session.leave();
  } catch (error) {
    showError(describeError(error));
  }
  refreshMembers();
  ui['join-again'].focus();
}

function joinAgain() {
  ui.leave.hidden = false;
  ui['join-again'].hidden = true;
  setConnection('connecting');
  startDelivery();
  ui['message-input'].focus();
}

// ---- wiring --------------------------------------------------------------------------------------------------

ui['room-name'].textContent = `#${room}`;
ui['name-display'].textContent = session.current?.name ?? (session.storedName() || '…');
for (const radio of ui['mode-switch'].querySelectorAll('input')) radio.checked = radio.value === mode;
if (matchMedia('(max-width: 720px)').matches) {
  for (const panel of document.querySelectorAll('[data-collapse-on-narrow]')) panel.open = false;
}

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  sendDraft();
  ui['message-input'].focus(); // after a click on Send, the next message can be typed at once
});
attachMentionPicker({
  input: ui['message-input'], list: ui['mention-options'], status: ui['mention-status'], names: () => onlineNames,
  me: myName, describe: (names) => t('mentionSuggestions', { names: names.join(', ') }),
});
ui['message-input'].addEventListener('keydown', (event) => {
  // isComposing: Enter also confirms a Chinese IME candidate, which must not send. defaultPrevented: it picked a name.
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !event.defaultPrevented) {
    event.preventDefault();
    sendDraft();
  }
});
ui['message-input'].addEventListener('input', updateCounter);
ui.scroller.addEventListener('scroll', () => {
  if (view.isAtBottom(ui.scroller)) ui['new-messages'].hidden = true;
  loadOlderIfNearTop();
});
ui['new-messages'].addEventListener('click', () => {
  view.scrollToBottom(ui.scroller);
  ui['new-messages'].hidden = true;
  ui['message-input'].focus();
});
ui['mode-switch'].addEventListener('change', (event) => {
  mode = event.target.value;
  storage.setItem(MODE_KEY, mode);
  startDelivery();
});
ui['language-switch'].addEventListener('change', (event) => {
  storage.setItem(LANGUAGE_KEY, event.target.value);
  applyLanguage(event.target.value);
});
ui['change-name'].addEventListener('click', () => toggleNameForm(true));
ui['name-cancel'].addEventListener('click', () => toggleNameForm(false));
ui['name-form'].addEventListener('keydown', (event) => {
  if (event.key === 'Escape') toggleNameForm(false);
});
ui['name-form'].addEventListener('submit', rename);
ui.leave.addEventListener('click', leave);
ui['join-again'].addEventListener('click', joinAgain);
// Coming back online: retry now rather than at the end of a long back-off.
addEventListener('online', () => delivery && startDelivery());
addEventListener('offline', renderConnection);

applyLanguage(lang);
if (rejectedRoom !== null) showError(t('error.badRoom', { room: rejectedRoom }));
setInterval(refreshMembers, MEMBERS_REFRESH_MS);
setInterval(renderMeters, 1000);
startDelivery();
