// What the page says about a failure or about its connection: pure functions of the state, so the tests can read
// the words a person sees. `t(key, params)` is the translate function of the current language.
import { isRoomFull } from './api.js';

export function describeError(error, t) {
  const detail = error.detail || error.title || error.message;
  if (error.status === 0) return t('error.network');
  if (isRoomFull(error)) return t('error.roomFull');
  if (error.status === 429) return t('error.429', { seconds: Math.ceil((error.retryAfterMs ?? 1000) / 1000) });
  if (error.status === 413) return t('error.413');
  if (error.status === 400) return t('error.400', { detail });
  if (error.status === 503) return t('error.503');
  return t('error.other', { detail });
}

/** The label of the connection indicator; waits of a second or more say when the next try is. */
export function connectionLabel(state, delayMs, t) {
  const seconds = Math.round(delayMs / 1000);
  if (state === 'reconnecting' && delayMs >= 1000) return t('state.reconnectingIn', { seconds });
  if (state === 'full' && delayMs >= 1000) return t('state.fullRetryIn', { seconds });
  return t(`state.${state}`);
}
