import assert from 'node:assert/strict';
import { RateGate } from '../../src/api/rate-gate';
import { ManualClock } from './helpers';

describe('api/RateGate', () => {
  it('lets N requests per second per key through and spaces the rest', async () => {
    const clock = new ManualClock();
    const gate = new RateGate(3, () => clock.now());
    assert.deepEqual([gate.reserve('a'), gate.reserve('a'), gate.reserve('a')], [0, 0, 0]);
    assert.equal(gate.reserve('b'), 0, 'keys are independent');
    assert.equal(gate.reserve('a'), 1000);
    assert.equal(gate.reserve('a'), 1000);
    await clock.advance(400);
    assert.equal(gate.reserve('a'), 600);
    assert.equal(gate.reserve('a'), 1600);
    await clock.advance(5000);
    assert.equal(gate.reserve('a'), 0);
    assert.equal(new RateGate(0, () => clock.now()).reserve('a'), 0);
  });

  it('refuses a reservation once maxQueued calls wait for a slot, per key, and takes them again as slots pass', async () => {
    const clock = new ManualClock();
    const gate = new RateGate(2, () => clock.now(), 3);
    assert.deepEqual([gate.reserve('a'), gate.reserve('a')], [0, 0], 'going now is not waiting');
    assert.deepEqual([gate.reserve('a'), gate.reserve('a'), gate.reserve('a')], [1000, 1000, 2000]);
    assert.equal(gate.reserve('a'), undefined);
    assert.equal(gate.reserve('a'), undefined, 'a refusal reserves nothing');
    assert.equal(gate.reserve('b'), 0);
    await clock.advance(1000);
    // The two calls of t+1000 went: one still waits, so two more may.
    assert.deepEqual([gate.reserve('a'), gate.reserve('a')], [1000, 2000]);
    assert.equal(gate.reserve('a'), undefined);
  });
});
