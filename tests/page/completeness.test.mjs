import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHECK_GRACE_MS, createCompletenessCheck } from '../../StaticSite/lib/completeness.js';

/** Timers that run only when told to, so the grace is under the test's control. */
function manualTimers() {
  const pending = new Map();
  let next = 1;
  return {
    setTimeout: (fn, ms) => (pending.set(next, { fn, ms }), next++),
    clearTimeout: (id) => pending.delete(id),
    runAll() {
      const due = [...pending.values()];
      pending.clear();
      due.forEach((t) => t.fn());
    },
    get count() {
      return pending.size;
    },
    get delays() {
      return [...pending.values()].map((t) => t.ms);
    },
  };
}

function setup(held = ['m1', 'm2']) {
  const timers = manualTimers();
  const fills = [];
  const holding = new Set(held);
  const check = createCompletenessCheck({
    holds: (id) => holding.has(id),
    oldestHeld: () => [...holding].sort()[0] ?? null,
    fill: async (id) => {
      fills.push(id);
    },
    timers,
  });
  return { check, timers, fills, holding };
}

test('a named message we hold costs nothing', () => {
  const { check, timers, fills } = setup();
  check.expect('m2');
  check.expect(null);
  check.expect(undefined);
  assert.equal(timers.count, 0);
  assert.deepEqual(fills, []);
});

test('a named message that never arrives is read from history after the grace', () => {
  const { check, timers, fills } = setup();
  check.expect('m3');
  assert.deepEqual(timers.delays, [CHECK_GRACE_MS]);
  assert.equal(CHECK_GRACE_MS, 2000);
  timers.runAll();
  assert.deepEqual(fills, ['m3']);
});

test('one that arrives within the grace (the next answer brings it) reads nothing', () => {
  const { check, timers, fills, holding } = setup();
  check.expect('m3');
  holding.add('m3');
  timers.runAll();
  assert.deepEqual(fills, []);
});

test('several named ids share one timer and the read starts before the oldest of them', () => {
  const { check, timers, fills } = setup();
  check.expect('m5');
  check.expect('m3');
  check.expect('m4');
  assert.equal(timers.count, 1);
  timers.runAll();
  assert.deepEqual(fills, ['m3']);
});

test('an id older than everything we loaded is not ours to miss', () => {
  const { check, timers } = setup(['m5', 'm6']);
  check.expect('m1');
  assert.equal(timers.count, 0);
});

test('a gap fill after a reconnect settles what was owed', () => {
  const { check, timers, fills } = setup();
  check.expect('m3');
  check.clear();
  timers.runAll();
  assert.equal(timers.count, 0);
  assert.deepEqual(fills, []);
});

test('a failed fill is not fatal: the next named id checks again', async () => {
  const timers = manualTimers();
  let calls = 0;
  const check = createCompletenessCheck({
    holds: () => false,
    oldestHeld: () => null,
    fill: async () => {
      calls++;
      throw new Error('503');
    },
    timers,
  });
  check.expect('m3');
  timers.runAll();
  await new Promise((r) => setImmediate(r));
  check.expect('m3');
  timers.runAll();
  assert.equal(calls, 2);
});

test('a fill that fails is tried again after the grace, as no later answer names a lost copy again', async () => {
  const timers = manualTimers();
  const fills = [];
  const check = createCompletenessCheck({
    holds: () => false,
    oldestHeld: () => 'm1',
    fill: async (id) => {
      fills.push(id);
      if (fills.length === 1) throw new Error('503');
    },
    timers,
  });
  check.expect('m3');
  timers.runAll();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(timers.delays, [CHECK_GRACE_MS]);
  timers.runAll();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(fills, ['m3', 'm3']);
  assert.equal(timers.count, 0);
});

test('an id named before an older one that then arrives is still read from history', () => {
  const { check, timers, fills, holding } = setup(['m1']);
  check.expect('m5'); // a copy lost for us
  check.expect('m3'); // older, on its way
  holding.add('m3');
  timers.runAll();
  assert.deepEqual(fills, ['m5']);
});
