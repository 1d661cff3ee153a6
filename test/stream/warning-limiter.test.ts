import assert from 'node:assert/strict';
import { OVERFLOW_KIND, WarningLimiter } from '../../src/stream/warning-limiter';

function fakeClock(start = 1_000_000): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('stream: WarningLimiter', () => {
  it('lets one warning per kind through per interval', () => {
    const clock = fakeClock();
    const limiter = new WarningLimiter({ clock, intervalMs: 60_000 });
    assert.equal(limiter.allow('malformed-json'), true);
    assert.equal(limiter.allow('malformed-json'), false);
    assert.equal(limiter.allow('unknown-type'), true, 'another kind has its own interval');
    clock.advance(59_999);
    assert.equal(limiter.allow('malformed-json'), false);
    clock.advance(1);
    assert.equal(limiter.allow('malformed-json'), true);
    assert.equal(limiter.allow('malformed-json'), false, 'the interval restarts from the warning let through');
  });

  it('uses 60 s and 200 kinds by default', () => {
    const clock = fakeClock();
    const limiter = new WarningLimiter({ clock });
    for (let i = 0; i < 200; i++) assert.equal(limiter.allow(`k${i}`), true);
    assert.equal(limiter.allow('k200'), true, 'the 201st kind goes through the shared entry');
    assert.equal(limiter.allow('k201'), false);
    clock.advance(60_000);
    assert.equal(limiter.allow('k0'), true);
  });

  it('a flood of new kinds neither grows the table nor reopens a kind already warned about', () => {
    const clock = fakeClock();
    const limiter = new WarningLimiter({ clock, intervalMs: 60_000, maxKinds: 10 });
    assert.equal(limiter.allow('malformed-json'), true);
    clock.advance(1_000);
    // Hostile: every frame names a new unknown topic, each a kind of its own.
    const letThrough = Array.from({ length: 1_000 }, (_, i) => limiter.allow(`unhandled:topic-${i}`)).filter(Boolean).length;
    assert.equal(letThrough, 10, '9 kinds fill the table, then one warning for all the others');
    assert.ok(limiter.size <= 11, `table holds ${limiter.size} kinds`);
    assert.equal(limiter.allow('malformed-json'), false, 'still within its interval');
  });

  it('makes room by dropping expired kinds before sharing the overflow entry', () => {
    const clock = fakeClock();
    const limiter = new WarningLimiter({ clock, intervalMs: 1_000, maxKinds: 3 });
    for (const k of ['a', 'b', 'c']) limiter.allow(k);
    assert.equal(limiter.allow('d'), true);
    assert.equal(limiter.allow('e'), false, `d took the shared "${OVERFLOW_KIND}" entry`);
    clock.advance(1_000);
    assert.equal(limiter.allow('e'), true);
    assert.equal(limiter.allow('e'), false, 'e now has an entry of its own');
    assert.equal(limiter.allow('a'), true, 'a had expired');
  });
});
