import assert from 'node:assert/strict';
import { readDingTalkFixture } from '../support/dingtalk-fixtures';
import { ALL_MODULES, FAST_TIMINGS, Inbox, TAB, appConfig, helper, simCredentials, useNodeRedWithSimulator } from './support';

const aiInModule: unknown = require('../../nodes/dingtalk-ai-in');
const aiResponseModule: unknown = require('../../nodes/dingtalk-ai-response');

/** DingTalk's own AI action examples (test/fixtures, docs/protocol.md §2.5) through a deployed ai-in → ai-response flow. */
describe('dingtalk-ai-in and dingtalk-ai-response with the calls and answers DingTalk publishes', function () {
  const env = useNodeRedWithSimulator(FAST_TIMINGS);

  /** [app, ai-in for the tutorial's weather action -> calls]; the test answers by sending into `respond`. */
  async function loadWeatherFlow(): Promise<{ calls: Inbox; answer(msg: Record<string, unknown>): void }> {
    const flow = [
      TAB,
      appConfig(env.sim),
      {
        id: 'aiin',
        z: TAB.id,
        type: 'dingtalk-ai-in',
        app: 'app1',
        method: 'get',
        url: '/v1/actions/example/weather/get',
        timeout: '',
        wires: [['calls']],
      },
      { id: 'calls', z: TAB.id, type: 'helper' },
      { id: 'respond', z: TAB.id, type: 'dingtalk-ai-response', wires: [] },
    ];
    await helper.load([...ALL_MODULES, aiInModule, aiResponseModule], flow, simCredentials());
    await env.sim.waitForConnection();
    return { calls: new Inbox(helper.getNode('calls')!), answer: (msg) => helper.getNode('respond')!.receive(msg) };
  }

  it('the documented call reaches msg.req with its method, path, decoded query, headers and body; the documented answer reaches DingTalk', async () => {
    const flow = await loadWeatherFlow();
    const documented = readDingTalkFixture('ai-action-response.developerpedia.json') as { headers: Record<string, string>; body: string };
    const call = env.sim.aiInvoke({ path: '/', rawData: readDingTalkFixture('ai-action-request.developerpedia.json'), timeoutMs: 10_000 });

    const msg = await flow.calls.nth(1);
    assert.equal(msg['req'].method, 'GET');
    assert.equal(msg['req'].path, '/v1/actions/example/weather/get');
    assert.deepEqual(msg['req'].query, { date: '2021-10-1', location: '杭州' });
    assert.equal(msg['req'].headers['content-type'], 'application/json');
    assert.deepEqual(msg['payload'], {});

    flow.answer({ ...msg, payload: JSON.parse(documented.body), headers: documented.headers });
    const answer = await call;
    assert.equal(answer.problem, undefined);
    assert.equal(answer.ackCode, 200);
    assert.equal(answer.status, 200);
    assert.equal(answer.reasonPhrase, 'OK');
    assert.deepEqual(answer.headers, documented.headers);
    assert.deepEqual(answer.json, JSON.parse(documented.body));
    assert.equal(answer.messageId, msg['dingtalk'].messageId);
  });
});
