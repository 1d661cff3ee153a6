import assert from 'node:assert/strict';
import { CardSessions, type CardSession } from '../../src/api/card-sessions';
import { DingTalkError } from '../../src/api/errors';
import { OpenApiClient } from '../../src/api/http';
import type { StreamCardInput } from '../../src/api/schemas';
import { ManualClock, settle } from './helpers';

/** Sessions on a manual clock whose updates go to `answer` instead of DingTalk. */
function fixture(opts: { idleMs?: number; endedMemory?: number; answer?: (input: StreamCardInput) => Promise<void> } = {}) {
  const clock = new ManualClock();
  // Never used for requests: `send` replaces the transport.
  const api = new OpenApiClient({ clientId: 'c', clientSecret: 's', clock });
  const idle: Array<{ id: string; session: CardSession }> = [];
  const sessions = new CardSessions({
    idleMs: opts.idleMs ?? 1000,
    clock,
    ...(opts.endedMemory !== undefined ? { endedMemory: opts.endedMemory } : {}),
    onIdle: (id, session) => idle.push({ id, session }),
  });
  const start = (id: string): CardSession =>
    sessions.start(id, api, { key: 'content', intervalMs: 10, clock, send: opts.answer ?? (() => Promise.resolve()) });
  return { clock, api, sessions, idle, start };
}

describe('api/CardSessions', () => {
  let f: ReturnType<typeof fixture>;
  afterEach(async () => {
    for (const session of f.sessions.endAll()) session.streamer.close();
    for (const { session } of f.idle) session.streamer.close();
    await f.api.close();
  });

  it('ends a session that gets no chunk for the idle time and hands it over to be finished', async () => {
    f = fixture({ idleMs: 1000 });
    const session = f.start('card-1');
    f.sessions.touch('card-1');
    await f.clock.advance(999);
    assert.equal(f.sessions.get('card-1'), session);
    await f.clock.advance(1);
    assert.deepEqual(f.idle, [{ id: 'card-1', session }]);
    assert.equal(f.sessions.size, 0);
    assert.equal(f.sessions.hasEnded('card-1'), true);
  });

  it('starts the idle time again on every chunk', async () => {
    f = fixture({ idleMs: 1000 });
    f.start('card-1');
    for (let i = 0; i < 5; i++) {
      f.sessions.touch('card-1');
      await f.clock.advance(600);
    }
    assert.equal(f.idle.length, 0);
    assert.equal(f.sessions.size, 1);
  });

  it('an ended card cannot be started again, and only the last endedMemory ones are remembered', () => {
    f = fixture({ endedMemory: 2 });
    for (const id of ['a', 'b', 'c']) {
      f.start(id);
      f.sessions.end(id);
    }
    assert.throws(() => f.start('c'), /already streamed into/);
    assert.equal(f.sessions.hasEnded('b'), true);
    assert.equal(f.sessions.hasEnded('a'), false);
  });

  it('endAll hands over every open session and stops their idle timers', async () => {
    f = fixture({ idleMs: 1000 });
    const a = f.start('a');
    const b = f.start('b');
    f.sessions.touch('a');
    f.sessions.touch('b');
    const all = f.sessions.endAll();
    for (const session of all) session.streamer.close();
    assert.deepEqual(all, [a, b]);
    await f.clock.advance(5000);
    assert.equal(f.idle.length, 0);
    assert.equal(f.sessions.size, 0);
  });

  it('reports a failed intermediate update once, on the next takeFailure', async () => {
    const denied = new DingTalkError({ status: 403, endpoint: '/v1.0/card/streaming', message: 'denied' });
    f = fixture({ answer: () => Promise.reject(denied) });
    const session = f.start('card-1');
    assert.equal(session.takeFailure(), undefined);
    session.streamer.append('a');
    await settle();
    assert.equal(session.takeFailure(), denied);
    assert.equal(session.takeFailure(), undefined);
  });
});
