// Offers the names online while "@..." is typed in the message box. The focus stays in the box: arrow keys move
// through the offers, Enter or Tab picks one, Escape closes them; a click picks too. A polite status says what is
// offered, for screen readers.
import { insertMention, mentionQuery, suggestNames } from '../lib/mentions.js';

/**
 * `names()` gives the names online now, `me()` this person's name (never offered), `describe(names)` the sentence
 * the status reads out. The box's own keydown handlers registered later see `defaultPrevented` for keys used here.
 */
export function attachMentionPicker({ input, list, status, names, me, describe }) {
  let query = null;
  let offers = [];
  let active = 0;

  function close() {
    query = null;
    offers = [];
    list.hidden = true;
    list.replaceChildren();
  }

  function render() {
    list.replaceChildren(...offers.map((name, index) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.tabIndex = -1; // reached by the arrow keys from the box, not by Tab
      button.className = index === active ? 'mention-option active' : 'mention-option';
      button.dataset.testid = 'mention-option';
      button.dataset.name = name;
      button.textContent = `@${name}`;
      item.append(button);
      return item;
    }));
    list.hidden = false;
  }

  function update() {
    query = mentionQuery(input.value, input.selectionStart ?? input.value.length);
    const next = query ? suggestNames(query.query, names(), { me: me() }) : [];
    if (next.length === 0) return close();
    const changed = next.join('\n') !== offers.join('\n');
    offers = next;
    if (changed) {
      active = 0;
      status.textContent = describe(offers);
    }
    render();
  }

  function pick(name) {
    const { value, caret } = insertMention(input.value, query, name);
    input.value = value;
    input.setSelectionRange(caret, caret);
    close();
    input.dispatchEvent(new Event('input', { bubbles: true })); // the counter and the send button follow the text
    input.focus();
  }

  input.addEventListener('input', update);
  input.addEventListener('click', update);
  input.addEventListener('blur', close);
  input.addEventListener('keydown', (event) => {
    if (list.hidden || event.isComposing) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      active = (active + (event.key === 'ArrowDown' ? 1 : offers.length - 1)) % offers.length;
      render();
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      pick(offers[active]);
    } else if (event.key === 'Escape') {
      close();
    } else {
      return;
    }
    event.preventDefault();
  });
  list.addEventListener('mousedown', (event) => event.preventDefault()); // keep the focus (and the offers) in the box
  list.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (button) pick(button.dataset.name);
  });
}
