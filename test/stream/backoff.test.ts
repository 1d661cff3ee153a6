import assert from 'node:assert/strict';
import { Backoff } from '../../src/stream/backoff';

describe('stream: Backoff', () => {
  it('doubles the ceiling per attempt up to the cap, scaled by the injected random (full jitter)', () => {
    const backoff = new Backoff({ baseMs: 1000, maxMs: 60_000, random: () => 0.5 });
    const delays = Array.from({ length: 9 }, () => backoff.next());
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('spans [0, ceiling) with the random source', () => {
    const lowest = new Backoff({ baseMs: 1000, maxMs: 60_000, random: () => 0 });
    const highest = new Backoff({ baseMs: 1000, maxMs: 60_000, random: () => 0.999999 });
    assert.equal(lowest.next(), 0);
    assert.equal(highest.next(), 999);
    for (let i = 0; i < 20; i++) highest.next();
    assert.equal(highest.next(), 59_999);
  });

  it('starts over from the base after reset()', () => {
    const backoff = new Backoff({ baseMs: 100, maxMs: 10_000, random: () => 0.5 });
    backoff.next();
    backoff.next();
    backoff.next();
    assert.equal(backoff.attempts, 3);
    backoff.reset();
    assert.equal(backoff.attempts, 0);
    assert.equal(backoff.next(), 50);
  });

  it('stays finite after very many failures and ignores a random source outside [0, 1)', () => {
    const backoff = new Backoff({ baseMs: 1000, maxMs: 60_000, random: () => 7 });
    let last = 0;
    for (let i = 0; i < 5000; i++) last = backoff.next();
    assert.equal(last, 30_000);
  });
});
