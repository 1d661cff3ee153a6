import assert from 'node:assert/strict';
import {
  compareInstances,
  describeDifferences,
  type InstanceBoard,
  type InstanceInfo,
  InstanceRegistry,
  type InstancesView,
} from '../../src/app-config/instances';
import { systemClock } from '../../src/util/runtime';

const ROBOT = 'CALLBACK /v1.0/im/bot/messages/get';
const EVENTS = 'EVENT *';
const CARD = 'CALLBACK /v1.0/card/instances/callback';

function info(id: string, subscriptions: string[]): InstanceInfo {
  return { id, host: `host-${id}`, pid: 100, subscriptions, at: 0 };
}

describe('instances of an app (heartbeats in Redis, ADR 0016)', () => {
  it('counts the live instances and names what each subscribes to that another does not', () => {
    const self = info('a', [ROBOT, EVENTS]);
    assert.deepEqual(compareInstances(self, [self, info('b', [EVENTS, ROBOT])]), { count: 2, differences: [] });
    const view = compareInstances(self, [self, info('b', [ROBOT, CARD])]);
    assert.equal(view.count, 2);
    assert.deepEqual(view.differences, [{ other: 'host-b (pid 100)', onlyThere: [CARD], onlyHere: [EVENTS] }]);
    assert.equal(
      describeDifferences(view),
      `host-b (pid 100): it subscribes to ${CARD} and this one does not; this one subscribes to ${EVENTS} and it does not`,
    );
    assert.deepEqual(compareInstances(self, []), { count: 1, differences: [] }, 'its own heartbeat not yet visible');
  });

  it('beats on its period, tells each change once, skips garbage and survives a failing board', async () => {
    const board = new Map<string, string>();
    let failing = false;
    const make = (id: string, subs: string[], seen: InstancesView[]): InstanceRegistry => {
      const b: InstanceBoard = {
        announce: async (value) => {
          if (failing) throw new Error('ECONNREFUSED');
          board.set(id, value);
        },
        announced: async () => [...board.values(), 'not json', '{"id":1}'],
      };
      return new InstanceRegistry({
        board: b,
        self: { id, host: `host-${id}`, pid: 1 },
        subscriptions: () => subs,
        clock: systemClock,
        everyMs: 20,
        onChange: (v) => seen.push(v),
      });
    };
    const seenA: InstancesView[] = [];
    const seenB: InstancesView[] = [];
    const a = make('a', [ROBOT, EVENTS], seenA);
    const b = make('b', [ROBOT], seenB);
    try {
      a.start();
      await new Promise((r) => setTimeout(r, 60));
      failing = true;
      b.start();
      await new Promise((r) => setTimeout(r, 60));
      failing = false;
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        seenA.map((v) => [v.count, v.differences.length]),
        [
          [1, 0],
          [2, 1],
        ],
      );
      assert.deepEqual(seenB.at(-1)?.differences[0]?.onlyThere, [EVENTS]);
    } finally {
      a.stop();
      b.stop();
    }
  });
});
