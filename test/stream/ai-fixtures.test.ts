import assert from 'node:assert/strict';
import { buildAiAnswer } from '../../src/msg/ai-answer';
import { parseAiRequest } from '../../src/msg/ai-request';
import { TOPIC_GRAPH_API } from '../../src/stream/frames';
import type { Push } from '../../src/stream/types';
import { readDingTalkFixture } from '../support/dingtalk-fixtures';
import { Harness, ackData, waitForState } from './helpers';

/** DingTalk's own AI action examples (test/fixtures, docs/protocol.md §2.5) through the Stream client and its router. */
describe('stream client: AI action calls and answers as DingTalk publishes them', () => {
  let h: Harness;
  afterEach(() => h.cleanup());

  async function clientAnswering(answer: (push: Push<unknown>) => unknown): Promise<Push<unknown>[]> {
    h = new Harness();
    await h.start();
    const pushes: Push<unknown>[] = [];
    const client = h.client();
    client.onCallback(TOPIC_GRAPH_API, (push) => {
      pushes.push(push);
      return answer(push);
    });
    client.start();
    await waitForState(client, 'connected');
    return pushes;
  }

  it('delivers the documented call intact and acks the documented answer, shaped as DingTalk reads it', async () => {
    const request = readDingTalkFixture('ai-action-request.developerpedia.json');
    const documented = readDingTalkFixture('ai-action-response.developerpedia.json') as { body: string };
    const pushes = await clientAnswering((push) => {
      const parsed = parseAiRequest(push.data);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
      const { date, location } = parsed.request.query as Record<string, string>;
      // The tutorial's weather action, answered through the same builder dingtalk-ai-response uses.
      const built = buildAiAnswer({ payload: { ...JSON.parse(documented.body), dateStr: date, location } });
      assert.ok(built.ok);
      return built.answer;
    });

    const result = await h.sim.aiInvoke({ path: '/', rawData: request, timeoutMs: 5_000 });
    assert.deepEqual(
      pushes.map((p) => p.data),
      [request],
    );
    assert.equal(result.problem, undefined);
    assert.equal(result.ackCode, 200);
    assert.equal(result.status, 200);
    assert.equal(result.reasonPhrase, 'OK');
    assert.equal(result.headers!['content-type'], 'application/json');
    assert.deepEqual(result.json, { ...JSON.parse(documented.body), dateStr: '2021-10-1', location: '杭州' });
  });

  for (const name of ['ai-action-response.developerpedia.json', 'ai-action-response.sdk-nodejs.json']) {
    it(`a handler returning ${name} verbatim puts it in the ack's response, as the simulator (and DingTalk) read it`, async () => {
      const documented = readDingTalkFixture(name) as { statusLine: { code: number }; headers: Record<string, string>; body: string };
      await clientAnswering(() => documented);
      const push = h.sim.callback(TOPIC_GRAPH_API, readDingTalkFixture('ai-action-request.developerpedia.json'));
      assert.deepEqual(ackData((await push.acked).ack), { response: documented });

      const result = await h.sim.aiInvoke({ path: '/', rawData: readDingTalkFixture('ai-action-request.developerpedia.json') });
      assert.equal(result.problem, undefined);
      assert.equal(result.status, documented.statusLine.code);
      assert.deepEqual(result.headers, documented.headers);
      assert.deepEqual(result.json, JSON.parse(documented.body));
    });
  }
});
