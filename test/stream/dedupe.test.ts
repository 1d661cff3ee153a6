import assert from 'node:assert/strict';
import { DedupeWindow } from '../../src/stream/dedupe';

function manualClock(start = 1_000_000): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('stream: DedupeWindow', () => {
  it('remembers a key with its value until the TTL passes', () => {
    const clock = manualClock();
    const window = new DedupeWindow<string>({ ttlMs: 300_000, maxEntries: 10, clock });
    window.set('a', 'first');
    clock.advance(299_999);
    assert.equal(window.get('a'), 'first');
    assert.equal(window.has('a'), true);
    clock.advance(1);
    assert.equal(window.get('a'), undefined);
    assert.equal(window.has('a'), false);
    assert.equal(window.size, 0);
  });

  it('keeps at most maxEntries, dropping the oldest first', () => {
    const clock = manualClock();
    const window = new DedupeWindow<number>({ ttlMs: 60_000, maxEntries: 3, clock });
    for (let i = 1; i <= 5; i++) {
      window.set(`k${i}`, i);
      clock.advance(1);
    }
    assert.equal(window.size, 3);
    assert.equal(window.get('k1'), undefined);
    assert.equal(window.get('k2'), undefined);
    assert.deepEqual(
      ['k3', 'k4', 'k5'].map((k) => window.get(k)),
      [3, 4, 5],
    );
  });

  it('setting a key again restarts its TTL and makes it the newest', () => {
    const clock = manualClock();
    const window = new DedupeWindow<number>({ ttlMs: 1000, maxEntries: 2, clock });
    window.set('a', 1);
    clock.advance(600);
    window.set('b', 2);
    window.set('a', 3);
    clock.advance(600);
    assert.equal(window.get('a'), 3, 'a was refreshed');
    window.set('c', 4);
    assert.equal(window.get('b'), undefined, 'b is now the oldest and was evicted');
    assert.equal(window.get('a'), 3);
  });

  it('forgets a deleted key and expires old entries while new ones arrive', () => {
    const clock = manualClock();
    const window = new DedupeWindow<boolean>({ ttlMs: 100, maxEntries: 1000, clock });
    window.set('gone', true);
    window.delete('gone');
    assert.equal(window.has('gone'), false);
    for (let i = 0; i < 500; i++) {
      window.set(`m${i}`, true);
      clock.advance(10);
    }
    // Only the entries set less than 100 ms ago are left: the window does not grow with traffic.
    assert.equal(window.size, 9);
  });
});
