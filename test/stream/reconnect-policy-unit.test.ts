import assert from 'node:assert/strict';
import { QUICK_RECONNECTS, RECONNECT_JITTER_MS, ReconnectPolicy } from '../../src/stream/reconnect-policy';

/** A clock that moves only when told to. */
function fakeClock(start = 1_000_000): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const TIMING = { backoffBaseMs: 1_000, backoffMaxMs: 60_000, stableAfterMs: 60_000, authFailedRetryMs: 300_000 };

function policy(timing: Partial<typeof TIMING> = {}, random = () => 0.5) {
  const clock = fakeClock();
  return { clock, policy: new ReconnectPolicy({ timing: { ...TIMING, ...timing }, clock, random }) };
}

/** Connects, keeps the socket up `upMs`, drops it: the delay chosen for the replacement. */
function cycle(p: ReconnectPolicy, clock: { advance(ms: number): void }, upMs: number): number {
  p.connected();
  clock.advance(upMs);
  p.dropped();
  return p.delayAfterDrop();
}

describe('stream: ReconnectPolicy (ADR 0009)', () => {
  it('backs off with full jitter while attempts keep failing, doubling up to backoffMaxMs', () => {
    const { policy: p } = policy();
    const delays = Array.from({ length: 8 }, () => p.attemptFailed());
    assert.deepEqual(delays, [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('starts the attempt backoff over once an attempt succeeds', () => {
    const { policy: p } = policy();
    p.attemptFailed();
    p.attemptFailed();
    p.attemptFailed();
    p.connected();
    assert.equal(p.attemptFailed(), 500);
  });

  it('replaces a working socket that drops after a jitter below min(250 ms, backoffBaseMs), however often', () => {
    const { policy: p, clock } = policy({}, () => 0.999);
    // Stable sockets: no flap counted, so the jitter never grows.
    for (let i = 0; i < 10; i++) assert.equal(cycle(p, clock, 60_000), Math.floor(0.999 * RECONNECT_JITTER_MS));
    const small = policy({ backoffBaseMs: 40 }, () => 0.5);
    assert.equal(cycle(small.policy, small.clock, 5), 20);
  });

  it('does not let drops grow the attempt backoff, nor failed attempts the delay after a drop', () => {
    const { policy: p, clock } = policy();
    assert.equal(cycle(p, clock, 100), 125);
    assert.deepEqual([p.attemptFailed(), p.attemptFailed(), p.attemptFailed()], [500, 1_000, 2_000]);
    assert.equal(cycle(p, clock, 100), 125);
  });

  it(`replaces the first ${QUICK_RECONNECTS} young sockets in a row at once, then backs off on a separate backoff`, () => {
    const { policy: p, clock } = policy({ backoffBaseMs: 100 });
    const delays = Array.from({ length: 7 }, () => cycle(p, clock, 1_000));
    assert.deepEqual(delays, [50, 50, 50, 50, 100, 200, 400]);
    // The attempt backoff was never touched by the flapping.
    assert.equal(p.attemptFailed(), 50);
  });

  it('forgets the flaps once a socket stays up stableAfterMs', () => {
    const { policy: p, clock } = policy({ backoffBaseMs: 100, stableAfterMs: 10_000 });
    for (let i = 0; i < 5; i++) cycle(p, clock, 9_999);
    assert.equal(cycle(p, clock, 9_999), 200, 'still flapping: the flap backoff keeps growing');
    assert.equal(cycle(p, clock, 10_000), 50, 'a stable socket: quick again');
    // Counting starts over: three more quick replacements, then the flap backoff from its base again.
    const after = Array.from({ length: 5 }, () => cycle(p, clock, 1));
    assert.deepEqual(after, [50, 50, 50, 50, 100]);
  });

  it('counts a drop only for a socket it was told about, and only once', () => {
    const { policy: p, clock } = policy();
    // Reported before any socket was adopted: nothing to count.
    p.dropped();
    for (let i = 0; i < QUICK_RECONNECTS - 1; i++) assert.equal(cycle(p, clock, 1), 125);
    // The same socket reported twice: one flap, the third in a row, so still quick.
    p.connected();
    p.dropped();
    p.dropped();
    assert.equal(p.delayAfterDrop(), 125);
    // The fourth young drop in a row backs off: 500, then 1,000.
    assert.equal(cycle(p, clock, 1), 500);
    assert.equal(cycle(p, clock, 1), 1_000);
  });

  it('waits authFailedRetryMs after refused credentials, without touching the attempt backoff', () => {
    const { policy: p } = policy();
    p.attemptFailed();
    assert.equal(p.authFailed(), 300_000);
    assert.equal(p.attemptFailed(), 1_000);
  });

  it('ignores a random source outside [0, 1) for the drop jitter', () => {
    const { policy: p, clock } = policy({}, () => 7);
    assert.equal(cycle(p, clock, 60_000), 125);
  });
});
