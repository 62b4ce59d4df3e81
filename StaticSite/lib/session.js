// Who this page is in a room. Name and the room's membership (userId + token) live in localStorage, so a reload
// reuses the same member instead of creating a stranger; when the server says the member is gone (410) or the
// token is refused (401/403), we join again under the same name.
export const NAME_KEY = 'functionsChat.name';
export const sessionKey = (room) => `functionsChat.session.${room}`;
const REMEMBERED_IDS = 20;

export function createSession({ api, room, storage, persist = true, onChange = () => {} }) {
  let current = persist ? readJson(storage, sessionKey(room)) : null;
  // Every userId this person had in the room, so their older messages stay marked as their own after a rejoin.
  let ownIds = current?.ownIds ?? [];
  let joining = null;

  function save(member) {
    if (!ownIds.includes(member.userId)) ownIds = [...ownIds, member.userId].slice(-REMEMBERED_IDS);
    current = { userId: member.userId, name: member.name, token: member.token };
    storage.setItem(NAME_KEY, member.name);
    if (persist) storage.setItem(sessionKey(room), JSON.stringify({ ...current, ownIds }));
    onChange(current);
  }

  /** One join at a time: the send queue and the delivery loop may both discover a 410 together. */
  function join(name, replacing = null) {
    joining ??= api
      .join(room, name || undefined, replacing?.token)
      .then((member) => {
        save(member);
        return current;
      })
      .finally(() => {
        joining = null;
      });
    return joining;
  }

  return {
    get current() {
      return current;
    },
    storedName: () => storage.getItem(NAME_KEY) ?? '',
    isOwn: (userId) => ownIds.includes(userId),
    /** The member to act as, joining first if we have none. */
    ensure: () => (current ? Promise.resolve(current) : join(storage.getItem(NAME_KEY))),
    /** The server no longer accepts `stale` (410/401/403): join again under the same name. */
    rejoin(stale) {
      if (current && stale && current.token !== stale.token) return Promise.resolve(current); // someone already did
      const name = current?.name ?? storage.getItem(NAME_KEY);
      current = null;
      return join(name);
    },
    /**
     * One request: a join with the current member's token, which the server answers with a new member that replaces
     * it, so the room reads "A is now B" rather than a leave and a join. A token it no longer accepts (401/403, say
     * after a key change) makes it a plain join; the old member then expires.
     */
    async rename(name) {
      const previous = current;
      current = null;
      storage.setItem(NAME_KEY, name);
      try {
        await join(name, previous);
      } catch (error) {
        if (!previous || (error.status !== 401 && error.status !== 403)) throw error;
        await join(name);
      }
      return current;
    },
    async leave() {
      const previous = current;
      current = null;
      if (persist) storage.removeItem(sessionKey(room));
      onChange(null);
      if (previous) await api.leave(room, previous.userId, previous.token);
    },
  };
}

function readJson(storage, key) {
  try {
    const value = JSON.parse(storage.getItem(key) ?? 'null');
    return value?.userId && value?.token ? value : null;
  } catch {
    return null;
  }
}
