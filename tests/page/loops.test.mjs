import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, ROOM_FULL_TYPE } from '../../StaticSite/lib/api.js';
import { createBackoff } from '../../StaticSite/lib/backoff.js';
import { LONG_POLL_SECONDS, runLongPoll } from '../../StaticSite/lib/longpoll.js';
import { runPolling } from '../../StaticSite/lib/polling.js';
import { sleep } from '../../StaticSite/lib/retry.js';
import { createSession, NAME_KEY, sessionKey } from '../../StaticSite/lib/session.js';
import { memoryStorage } from './fakes.mjs';

/**
 * Drives a loop through a script of poll outcomes; the loop is stopped (aborted) when the script runs out.
 * Waits are recorded and return at once, standing in for timers.
 */
function harness(pollScript, { catchUpScript = [] } = {}) {
  const controller = new AbortController();
  const log = [];
  let member = { userId: 'u1', token: 't1' };
  const session = {
    ensure: async () => {
      log.push(['ensure']);
      return member;
    },
    rejoin: async (stale) => {
      log.push(['rejoin', stale.token]);
      member = { userId: 'u2', token: 't2' };
      return member;
    },
  };
  const next = (script, kind) => {
    if (script.length === 0) {
      controller.abort(); // like fetch, an aborted request rejects with an AbortError
      return Promise.reject(new DOMException('aborted', 'AbortError'));
    }
    const outcome = script.shift();
    log.push([kind]);
    if (outcome instanceof Error) return Promise.reject(outcome);
    // A script names an answer's messages, or the whole answer with its latestId.
    return Promise.resolve(Array.isArray(outcome) ? { messages: outcome, latestId: null } : outcome);
  };
  const options = {
    session,
    poll: (as, seconds) => {
      log.push(['poll', as.token, seconds]);
      return next(pollScript, 'answer');
    },
    catchUp: async () => {
      log.push(['catchUp']);
      const outcome = catchUpScript.shift();
      if (outcome instanceof Error) throw outcome;
    },
    onMessages: (messages) => log.push(['messages', messages.map((m) => m.id)]),
    onLatest: (id) => log.push(['latest', id]),
    onState: (state, info = {}) => log.push(['state', state, info.delayMs]),
    backoff: createBackoff({ baseMs: 100, random: () => 0 }),
    wait: async (ms) => {
      log.push(['wait', ms]);
    },
    signal: controller.signal,
  };
  return { options, log, controller, only: (kind) => log.filter((entry) => entry[0] === kind) };
}

const settle = (promise) => Promise.race([promise, new Promise((r) => setTimeout(r, 50))]);

test('long poll: joins, then catches up, then polls for 30 s with the token and hands messages over', async () => {
  const h = harness([[{ id: 'm1' }], []]);
  await settle(runLongPoll(h.options));
  assert.equal(LONG_POLL_SECONDS, 30);
  // History after the join, never before: a message sent between a read and the join would be in neither.
  assert.deepEqual(h.log.slice(0, 5), [['ensure'], ['catchUp'], ['state', 'connected', undefined], ['poll', 't1', 30], ['answer']]);
  assert.deepEqual(h.only('messages'), [['messages', ['m1']], ['messages', []]]);
  assert.deepEqual(h.only('wait'), [], 'a healthy long poll never sleeps between requests');
});

test("long poll: each answer's latestId goes to the completeness check after its messages", async () => {
  const h = harness([{ messages: [{ id: 'm1' }], latestId: 'm2' }, { messages: [], latestId: 'm2' }]);
  await settle(runLongPoll(h.options));
  const fed = h.log.filter((e) => e[0] === 'messages' || e[0] === 'latest');
  assert.deepEqual(fed, [['messages', ['m1']], ['latest', 'm2'], ['messages', []], ['latest', 'm2']]);
});

test('long poll: 410 rejoins at once, catches up the gap, then polls as the new member', async () => {
  const h = harness([new ApiError({ status: 410 }), []]);
  await settle(runLongPoll(h.options));
  assert.deepEqual(h.only('rejoin'), [['rejoin', 't1']]);
  assert.deepEqual(h.only('catchUp').length, 2, 'initial load, then the gap after the rejoin');
  assert.deepEqual(h.only('poll').map((p) => p[1]).slice(0, 2), ['t1', 't2']);
  assert.deepEqual(h.only('wait'), []);
});

test('long poll: 429 waits for Retry-After and shows reconnecting', async () => {
  const h = harness([new ApiError({ status: 429, retryAfterMs: 5000 }), []]);
  await settle(runLongPoll(h.options));
  assert.deepEqual(h.only('wait'), [['wait', 5000]]);
  assert.ok(h.log.some((e) => e[0] === 'state' && e[1] === 'reconnecting' && e[2] === 5000));
});

test('long poll: repeated network failures back off with growing delays, then recover', async () => {
  const down = () => new ApiError({ status: 0 });
  const h = harness([down(), down(), down(), [{ id: 'm9' }]]);
  await settle(runLongPoll(h.options));
  assert.deepEqual(h.only('wait').map((w) => w[1]), [50, 100, 200]);
  assert.deepEqual(h.log.filter((e) => e[0] === 'state').at(-1), ['state', 'connected', undefined]);
  assert.deepEqual(h.only('catchUp').length, 4, 'every break is followed by a catch-up before polling again');
});

test('long poll: a failing catch-up is retried before any poll', async () => {
  const h = harness([[]], { catchUpScript: [new ApiError({ status: 503 })] });
  await settle(runLongPoll(h.options));
  assert.deepEqual(h.log.filter((e) => e[0] !== 'ensure').slice(0, 4).map((e) => e[0]), ['catchUp', 'state', 'wait', 'catchUp']);
});

test('long poll: aborting stops the loop', async () => {
  const h = harness([]);
  const result = await settle(runLongPoll(h.options).then(() => 'stopped'));
  assert.equal(result, 'stopped');
  assert.equal(h.controller.signal.aborted, true);
});

test('polling: reads history every interval and keeps the member alive only now and then', async () => {
  const h = harness([[{ id: 'k1' }]], { catchUpScript: [] });
  let time = 0;
  let rounds = 0;
  await settle(
    runPolling({
      ...h.options,
      now: () => time,
      intervalMs: 3000,
      keepAliveMs: 45000,
      wait: async (ms) => {
        h.log.push(['wait', ms]);
        time += ms;
        if (++rounds === 4) h.controller.abort();
      },
    }),
  );
  assert.deepEqual(h.only('wait').map((w) => w[1]), [3000, 3000, 3000, 3000]);
  assert.equal(h.only('catchUp').length, 4);
  assert.deepEqual(h.only('poll'), [['poll', 't1', 1]], 'one short keep-alive poll, not one per round');
  assert.deepEqual(h.only('messages'), [['messages', ['k1']]]);
});

test('polling: a 410 from the keep-alive rejoins', async () => {
  const h = harness([new ApiError({ status: 410 }), []]);
  let rounds = 0;
  await settle(
    runPolling({
      ...h.options,
      wait: async (ms) => {
        h.log.push(['wait', ms]);
        if (++rounds === 1) h.controller.abort();
      },
    }),
  );
  assert.deepEqual(h.only('rejoin'), [['rejoin', 't1']]);
  assert.deepEqual(h.only('poll').map((p) => p[1]).slice(0, 2), ['t1', 't2']);
});

test('polling: 503 on the history read backs off', async () => {
  const h = harness([[]], { catchUpScript: [new ApiError({ status: 503 })] });
  let rounds = 0;
  await settle(
    runPolling({
      ...h.options,
      wait: async (ms) => {
        h.log.push(['wait', ms]);
        if (++rounds === 2) h.controller.abort();
      },
    }),
  );
  assert.deepEqual(h.only('wait').map((w) => w[1]), [50, 3000]);
});

test('sleep resolves after the delay, or at once on abort', async () => {
  const scheduled = [];
  const timers = { setTimeout: (fn, ms) => scheduled.push({ fn, ms }) && scheduled.length, clearTimeout: () => {} };
  const done = sleep(1234, undefined, timers);
  assert.equal(scheduled[0].ms, 1234);
  scheduled[0].fn();
  await done;
  const controller = new AbortController();
  const aborted = sleep(60000, controller.signal, timers);
  controller.abort();
  assert.equal(await settle(aborted.then(() => 'woke')), 'woke');
});

test('long poll: a join refused because the room is full shows "full", waits a back-off, then joins', async () => {
  const h = harness([[]]);
  let refusals = 1;
  let member = null;
  h.options.session = {
    ensure: async () => {
      if (member) return member;
      h.log.push(['join']);
      if (refusals-- > 0) throw new ApiError({ status: 409, type: ROOM_FULL_TYPE, title: 'Room is full' });
      member = { userId: 'u1', token: 't1' };
      return member;
    },
    rejoin: async () => assert.fail('a full room is not a lost membership'),
  };
  await settle(runLongPoll(h.options));
  // The join comes first, so a full room is the first thing the page shows, before any history.
  assert.deepEqual(h.log.filter((e) => e[0] === 'state').slice(0, 2), [
    ['state', 'full', 50],
    ['state', 'connected', undefined],
  ]);
  assert.ok(h.log.findIndex((e) => e[0] === 'catchUp') > h.log.findLastIndex((e) => e[0] === 'join'), 'history is read after the join');
  assert.deepEqual(h.only('wait'), [['wait', 50]]);
  assert.equal(h.only('join').length, 2, 'refused once, then joined');
  assert.deepEqual(h.only('poll').slice(0, 1), [['poll', 't1', 30]]);
});

test('long poll: a token refused with 401 (its signing key was dropped) rejoins under the same name', async () => {
  const joins = [];
  let issued = 0;
  const api = {
    join: async (room, name) => {
      joins.push(name);
      issued += 1;
      return { userId: `u${issued}`, name: name ?? '随机名', room, token: `t${issued}` };
    },
  };
  const storage = memoryStorage({
    [NAME_KEY]: '李雷',
    [sessionKey('lobby')]: JSON.stringify({ userId: 'u0', name: '李雷', token: 'signed-with-the-old-key' }),
  });
  const session = createSession({ api, room: 'lobby', storage });
  const h = harness([new ApiError({ status: 401, title: 'Unauthorized' }), []]);
  const tokens = [];
  await settle(runLongPoll({ ...h.options, session, poll: (member, seconds, signal) => (tokens.push(member.token), h.options.poll(member, seconds, signal)) }));
  assert.deepEqual(joins, ['李雷']);
  assert.deepEqual(tokens.slice(0, 2), ['signed-with-the-old-key', 't1']);
  assert.equal(session.current.name, '李雷');
  assert.deepEqual(h.only('wait'), [], 'no back-off: the rejoin is immediate');
});
