// What draws a reader back to a hidden tab: the count in the title, a dot on the favicon, and (asked for with one
// click on the alerts button) a browser notification for a message that mentions them.
import { mentionsName } from '../lib/mentions.js';
import { createMentionAlerts, createUnread } from '../lib/unread.js';

const FAVICON = 'favicon.svg';
const FAVICON_UNREAD = 'favicon-unread.svg';

/** `myName()` is this person's current name; `onDenied()` is called when the browser refuses notifications. */
export function createAttention({ room, storage, isOwn, myName, button, onDenied }) {
  const alerts = createMentionAlerts({ storage });
  const icon = document.querySelector('link[rel="icon"]');
  const unread = createUnread({
    isOwn,
    mentionsMe: (message) => mentionsName(message.text, myName()),
    onMention: (message) => alerts.show(`#${room}`, message),
    render: ({ title, count }) => {
      document.title = title;
      icon.href = count > 0 ? FAVICON_UNREAD : FAVICON;
    },
  });

  function renderButton() {
    button.hidden = !alerts.supported;
    button.setAttribute('aria-pressed', String(alerts.enabled));
  }

  button.addEventListener('click', async () => {
    if (alerts.enabled) alerts.disable();
    else if (!(await alerts.enable())) onDenied();
    renderButton();
  });
  document.addEventListener('visibilitychange', () => unread.setHidden(document.hidden));
  unread.setHidden(document.hidden);
  renderButton();

  return {
    /** Live arrivals: counted while the tab is hidden. */
    arrived: (messages) => unread.arrived(messages),
    setTitle: (title) => unread.setTitle(title),
  };
}
