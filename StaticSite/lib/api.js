// Thin client for the chat HTTP API v1. It knows URLs, JSON and tokens; what to do about a failure (rejoin, wait,
// tell the person) is the caller's decision, so every failure becomes an ApiError carrying the HTTP status.
import { parseRetryAfter } from './backoff.js';

export class ApiError extends Error {
  /** status 0 means the request never got an HTTP answer (network down, CORS, or our own timeout). */
  constructor({ status, type = '', title = '', detail = '', retryAfterMs = null }) {
    super(detail || title || (status ? `HTTP ${status}` : 'network error'));
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
    this.title = title;
    this.detail = detail;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The problem type the server gives a join when the room already holds its most members. */
export const ROOM_FULL_TYPE = 'urn:functionschat:problem:room-full';

export const isRoomFull = (error) => error?.status === 409 && error.type === ROOM_FULL_TYPE;

// A long poll is answered within `timeout` seconds; this much longer and the connection is presumed dead.
const LONG_POLL_GRACE_MS = 15000;

export function createApi({ base, fetch = (...args) => globalThis.fetch(...args), now = Date.now }) {
  const root = base.replace(/\/+$/, '');
  const roomPath = (room) => `${root}/rooms/${encodeURIComponent(room)}`;

  async function request(method, url, { body, token, signal, timeoutMs } = {}) {
    const headers = { Accept: 'application/json, application/problem+json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    const limit = limitTime(signal, timeoutMs);
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: limit.signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error; // the caller stopped us: not a failure to report
      throw new ApiError({ status: 0 });
    } finally {
      limit.dispose();
    }
    if (response.status === 204) return null;
    const payload = await readJson(response);
    if (!response.ok) {
      throw new ApiError({
        status: response.status,
        type: typeof payload?.type === 'string' ? payload.type : '',
        title: typeof payload?.title === 'string' ? payload.title : '',
        detail: typeof payload?.detail === 'string' ? payload.detail : '',
        retryAfterMs: parseRetryAfter(response.headers.get('Retry-After'), now()),
      });
    }
    return payload;
  }

  return {
    /** With `replacingToken` (a member's own token) the join is that member's rename: the new member replaces it. */
    join: (room, name, replacingToken) =>
      request('POST', `${roomPath(room)}/members`, { body: name ? { name } : {}, token: replacingToken }),
    send: (room, { text, clientMessageId }, token) =>
      request('POST', `${roomPath(room)}/messages`, { body: { text, clientMessageId }, token }),
    history: async (room, { after, before, limit } = {}, signal) => {
      const query = new URLSearchParams();
      if (after) query.set('after', after);
      if (before) query.set('before', before);
      if (limit) query.set('limit', String(limit));
      const suffix = query.toString() ? `?${query}` : '';
      return (await request('GET', `${roomPath(room)}/messages${suffix}`, { signal })).messages;
    },
    /** Resolves to `{ messages, latestId }`: latestId (may be absent) feeds the completeness check. */
    updates: async (room, timeoutSeconds, token, signal) => {
      const page = await request('GET', `${roomPath(room)}/updates?timeout=${timeoutSeconds}`, {
        token,
        signal,
        timeoutMs: timeoutSeconds * 1000 + LONG_POLL_GRACE_MS,
      });
      return { messages: page.messages, latestId: page.latestId ?? null };
    },
    members: async (room) => (await request('GET', `${roomPath(room)}/members`)).members,
    leave: (room, userId, token) =>
      request('DELETE', `${roomPath(room)}/members/${encodeURIComponent(userId)}`, { token }),
  };
}

async function readJson(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null; // e.g. an HTML error page from a proxy: the status alone has to do
  }
}

/** Aborts when the caller's signal does, or after timeoutMs. */
function limitTime(outer, timeoutMs) {
  const controller = new AbortController();
  const forward = () => controller.abort(outer.reason);
  if (outer?.aborted) forward();
  else outer?.addEventListener('abort', forward, { once: true });
  const timer = timeoutMs ? setTimeout(() => controller.abort(), timeoutMs) : null;
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', forward);
    },
  };
}
