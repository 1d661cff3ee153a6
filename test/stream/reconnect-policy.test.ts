import assert from 'node:assert/strict';
import type { StreamClient } from '../../src/stream/client';
import type { StateChange } from '../../src/stream/types';
import { systemClock, type Clock } from '../../src/util/runtime';
import { Harness, waitForState } from './helpers';

/**
 * Real timers, but `now()` stands still at 0: a state change's `retryAt` is then exactly the delay the client chose,
 * so the delays are asserted without measuring time.
 */
const FROZEN_NOW: Clock = { ...systemClock, now: () => 0 };

/** The delay chosen for every "reconnecting" state change, in order. */
function retryDelays(client: StreamClient): number[] {
  const delays: number[] = [];
  client.on('state', (change: StateChange) => {
    if (change.state === 'reconnecting' && change.retryAt !== undefined) delays.push(change.retryAt);
  });
  return delays;
}

describe('stream client: how soon it reconnects', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.cleanup());

  it('replaces a killed socket at once (short jitter), again when the next one is killed a moment later', async () => {
    await h.start();
    // Production-sized backoff: the old policy would have waited 500 ms, then 1,000 ms (half the growing ceiling).
    const client = h.client({ clock: FROZEN_NOW, random: () => 0.5, timing: { backoffBaseMs: 1_000, backoffMaxMs: 60_000, stableAfterMs: 60_000 } });
    const delays = retryDelays(client);
    client.onRobotMessage(() => undefined);
    client.start();
    await waitForState(client, 'connected');
    for (let kill = 1; kill <= 2; kill++) {
      const back = waitForState(client, 'connected', 5_000, true);
      h.sim.killConnections();
      await back;
    }
    // Half of the 250 ms jitter window each time: the backoff did not grow between the two drops.
    assert.deepEqual(delays, [125, 125]);
    assert.equal(client.stats.reconnects, 2);
  });

  it('backs off exponentially while the gateway keeps failing after a drop, from the base again', async () => {
    await h.start();
    const client = h.client({ clock: FROZEN_NOW, random: () => 0.5, timing: { backoffBaseMs: 40, backoffMaxMs: 10_000, stableAfterMs: 60_000 } });
    const delays = retryDelays(client);
    client.onRobotMessage(() => undefined);
    client.start();
    await waitForState(client, 'connected');
    h.sim.setFaults({ gateway: 'error' });
    h.sim.killConnections();
    await h.sim.waitFor(() => delays.length >= 5, 5_000, 'four failed attempts');
    h.sim.clearFaults();
    await waitForState(client, 'connected', 5_000);
    // The drop: the jitter (below min(250 ms, base)); then each failed attempt doubles the ceiling: 40, 80, 160, 320.
    assert.deepEqual(delays.slice(0, 5), [20, 20, 40, 80, 160]);
  });

  it('backs off when sockets keep dropping before they are stable (a flapping server)', async () => {
    await h.start();
    const client = h.client({ clock: FROZEN_NOW, random: () => 0.5, timing: { backoffBaseMs: 100, backoffMaxMs: 10_000, stableAfterMs: 60_000 } });
    const delays = retryDelays(client);
    client.onRobotMessage(() => undefined);
    client.start();
    await waitForState(client, 'connected');
    for (let kill = 1; kill <= 6; kill++) {
      const back = waitForState(client, 'connected', 5_000, true);
      h.sim.killConnections();
      await back;
    }
    // Three quick replacements (half of min(250, 100) ms), then a backoff of its own: 50, 100, 200.
    assert.deepEqual(delays, [50, 50, 50, 50, 100, 200]);
  });
});
