// Where the page keeps what it remembers (name, session, language, mode), and which tab may reuse the stored session.

/** localStorage, or, when the browser refuses it (privacy mode), a memory of this page only. */
export function openStorage(getLocalStorage = () => globalThis.localStorage) {
  try {
    const storage = getLocalStorage();
    storage.setItem('functionsChat.probe', '1');
    storage.removeItem('functionsChat.probe');
    return storage;
  } catch {
    const memory = new Map();
    return {
      getItem: (key) => memory.get(key) ?? null,
      setItem: (key, value) => memory.set(key, String(value)),
      removeItem: (key) => memory.delete(key),
    };
  }
}

/**
 * Only one tab may reuse the stored membership: two tabs long-polling one member's queue would each get only some
 * of the messages. Resolves true for the tab that holds the lock named `key` (held until the page goes away); a
 * second tab gets false and joins as its own member. Without Web Locks, every tab reuses it.
 */
export function claimStoredSession(locks, key) {
  if (!locks) return Promise.resolve(true);
  return new Promise((resolve) => {
    locks.request(key, { ifAvailable: true }, (lock) => {
      resolve(lock !== null);
      return lock ? new Promise(() => {}) : undefined;
    });
  });
}
