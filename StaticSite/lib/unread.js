// While the tab is hidden, the title counts the messages from others that arrived since ("(3) #lobby · FunctionsChat")
// and the favicon carries a dot; both clear when the tab is shown. Notices are not counted.
import { isNotice } from './notices.js';

export function titleWithCount(title, count) {
  return count > 0 ? `(${count}) ${title}` : title;
}

/**
 * `render({ title, count })` is called whenever either changes. `isOwn(userId)` tells this person's messages apart.
 * `onMention(message)` is called for each counted message that `mentionsMe(message)` says is for this person.
 */
export function createUnread({ isOwn, mentionsMe = () => false, onMention = () => {}, render }) {
  let hidden = false;
  let count = 0;
  let title = '';
  const update = () => render({ title: titleWithCount(title, count), count });
  return {
    get count() {
      return count;
    },
    setTitle(next) {
      title = next;
      update();
    },
    setHidden(isHidden) {
      hidden = isHidden;
      if (!hidden) count = 0;
      update();
    },
    /** Messages that arrived live (not history loaded on request). */
    arrived(messages) {
      if (!hidden) return;
      const fromOthers = messages.filter((m) => !isNotice(m) && !isOwn(m.userId));
      if (fromOthers.length === 0) return;
      count += fromOthers.length;
      update();
      for (const message of fromOthers) if (mentionsMe(message)) onMention(message);
    },
  };
}

export const ALERTS_KEY = 'functionsChat.mentionAlerts';

/**
 * Browser notifications for a message that mentions you while the tab is hidden: off until asked for with one click,
 * which asks the browser's permission; remembered in storage. `Notifier` is the browser's Notification (or a fake).
 */
export function createMentionAlerts({ storage, Notifier = globalThis.Notification }) {
  const supported = typeof Notifier === 'function';
  const granted = () => supported && Notifier.permission === 'granted';
  return {
    supported,
    get enabled() {
      return granted() && storage.getItem(ALERTS_KEY) === 'on';
    },
    async enable() {
      if (!supported) return false;
      const permission = Notifier.permission === 'granted' ? 'granted' : await Notifier.requestPermission();
      if (permission !== 'granted') return false;
      storage.setItem(ALERTS_KEY, 'on');
      return true;
    },
    disable() {
      storage.removeItem(ALERTS_KEY);
    },
    /** Shows the message as a notification if alerts are on. */
    show(title, message) {
      if (!this.enabled) return null;
      return new Notifier(title, { body: `${message.name}: ${message.text}`, tag: message.id });
    },
  };
}
