import assert from 'node:assert/strict';
import { CardStreamer } from '../../src/api/card-streamer';
import { DingTalkError } from '../../src/api/errors';
import { OpenApiClient } from '../../src/api/http';
import type { StreamCardInput } from '../../src/api/schemas';
import { ManualClock, settle } from './helpers';

interface Sent {
  input: StreamCardInput;
  at: number;
  done: (err?: Error) => void;
}

/** A streamer whose requests stay open until the test answers them. */
function fixture(intervalMs = 300) {
  const clock = new ManualClock();
  // Never used for requests: `send` replaces the transport.
  const api = new OpenApiClient({ clientId: 'c', clientSecret: 's', clock });
  const sent: Sent[] = [];
  let autoAnswer = true;
  const errors: DingTalkError[] = [];
  const streamer = new CardStreamer(api, {
    outTrackId: 'track',
    key: 'content',
    intervalMs,
    clock,
    onError: (e) => errors.push(e),
    send: (input) =>
      new Promise<void>((resolve, reject) => {
        const entry: Sent = { input, at: clock.now(), done: (err) => (err ? reject(err) : resolve()) };
        sent.push(entry);
        if (autoAnswer) entry.done();
      }),
  });
  return {
    clock,
    api,
    sent,
    errors,
    streamer,
    manual() {
      autoAnswer = false;
    },
  };
}

describe('api/CardStreamer', () => {
  let f: ReturnType<typeof fixture>;
  afterEach(async () => {
    f.streamer.close();
    await f.api.close();
  });

  it('sends the first chunk at once, then the whole text at most every interval', async () => {
    f = fixture(300);
    f.streamer.append('a');
    await settle();
    assert.equal(f.sent.length, 1);
    for (let i = 0; i < 50; i++) f.streamer.append('b');
    await f.clock.advance(299);
    assert.equal(f.sent.length, 1, 'no update before the interval has passed');
    await f.clock.advance(1);
    assert.equal(f.sent.length, 2);
    assert.equal(f.sent[1]!.input.content, `a${'b'.repeat(50)}`);
    assert.equal(f.sent[1]!.input.isFull, true);
    for (let i = 1; i < f.sent.length; i++) assert.ok(f.sent[i]!.at - f.sent[i - 1]!.at >= 300);
  });

  it('sends nothing while the text has not changed', async () => {
    f = fixture(100);
    f.streamer.append('x');
    await f.clock.advance(1000);
    assert.equal(f.sent.length, 1);
    assert.equal(f.clock.pendingTimers, 0);
  });

  it('keeps one request in flight and sends the latest text after it', async () => {
    f = fixture(100);
    f.manual();
    f.streamer.append('1');
    await settle();
    f.streamer.append('2');
    f.streamer.append('3');
    await f.clock.advance(1000);
    assert.equal(f.sent.length, 1, 'waits for the request in flight');
    f.sent[0]!.done();
    await f.clock.advance(0);
    assert.equal(f.sent.length, 2);
    assert.equal(f.sent[1]!.input.content, '123');
  });

  it('bounds the requests for many appends over time and finalizes with the full text', async () => {
    f = fixture(300);
    let expected = '';
    for (let i = 0; i < 200; i++) {
      const chunk = `w${i} `;
      expected += chunk;
      f.streamer.append(chunk);
      await f.clock.advance(10); // 2 s of streaming
    }
    const finished = f.streamer.finish();
    await f.clock.advance(300);
    await finished;
    // 2 000 ms / 300 ms ≈ 7 updates + the first + the final.
    assert.ok(f.sent.length <= 10, `sent ${f.sent.length}`);
    const last = f.sent[f.sent.length - 1]!.input;
    assert.deepEqual(
      { content: last.content, isFinalize: last.isFinalize, isError: last.isError, isFull: last.isFull },
      {
        content: expected,
        isFinalize: true,
        isError: false,
        isFull: true,
      },
    );
    assert.equal(f.sent.filter((s) => s.input.isFinalize).length, 1);
    assert.throws(() => f.streamer.append('late'), /after finish/);
    assert.equal(f.clock.pendingTimers, 0);
  });

  it('fail() ends with isError and the error text after the text so far', async () => {
    f = fixture(300);
    f.streamer.append('partial');
    const failed = f.streamer.fail('model timed out');
    await f.clock.advance(300);
    await failed;
    const last = f.sent[f.sent.length - 1]!.input;
    assert.equal(last.isError, true);
    assert.equal(last.isFinalize, true);
    assert.equal(last.content, 'partial\n\nmodel timed out');
  });

  it('stops intermediate updates after a failure but still tries the final one', async () => {
    f = fixture(100);
    f.manual();
    f.streamer.append('a');
    await settle();
    f.sent[0]!.done(new DingTalkError({ status: 403, endpoint: '/v1.0/card/streaming', message: 'denied' }));
    await settle();
    assert.equal(f.errors.length, 1);
    f.streamer.append('b');
    await f.clock.advance(1000);
    assert.equal(f.sent.length, 1);
    const finished = f.streamer.finish();
    await f.clock.advance(0);
    assert.equal(f.sent.length, 2);
    f.sent[1]!.done();
    await finished;
  });

  it('close() cancels the pending timer and a waiting finish()', async () => {
    f = fixture(300);
    f.streamer.append('a');
    await settle();
    f.streamer.append('b');
    assert.equal(f.clock.pendingTimers, 1);
    const finished = f.streamer.finish();
    await settle();
    f.streamer.close();
    await assert.rejects(finished, /closed/);
    assert.equal(f.clock.pendingTimers, 0);
    assert.equal(f.sent.length, 1);
  });
});
