import assert from 'node:assert/strict';
import { SIMULATOR_APP, type DingTalkSimulator } from '../../src/simulator';
import { postJson, startSim } from './helpers';
import { redirectOfficialSdk, type SdkClient, type SdkModule, type SdkPush } from '../../bench/official-sdk';

/**
 * The official Node SDK, unchanged, against the simulator: proves the simulator speaks the protocol the way real
 * clients expect. The SDK hard-codes https://api.dingtalk.com for the gateway call, so that one URL is redirected
 * with a request interceptor on the very axios instance the SDK uses; the ws:// endpoint comes from the simulator.
 */

describe('simulator: official dingtalk-stream SDK', () => {
  let sim: DingTalkSimulator;
  let sdk: SdkModule;
  let restore: (() => void) | undefined;
  let client: SdkClient | undefined;
  const originalInfo = console.info;

  beforeEach(async () => {
    sim = await startSim({ pingIntervalMs: 50 });
    ({ sdk, restore } = redirectOfficialSdk(sim.apiBase));
    // The SDK logs "connect success"/"Disconnecting." with console.info; keep test output readable.
    console.info = () => undefined;
  });

  afterEach(async () => {
    client?.disconnect();
    client = undefined;
    restore?.();
    restore = undefined;
    console.info = originalInfo;
    await sim.stop();
  });

  it('connects, receives a robot message, acks it and answers SYSTEM pings', async () => {
    const received = new Promise<SdkPush>((resolve) => {
      client = new sdk.DWClient({ clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret, keepAlive: false });
      client.registerCallbackListener(sdk.TOPIC_ROBOT, (push) => {
        client?.socketCallBackResponse(push.headers.messageId, { ok: true });
        resolve(push);
      });
      void client.connect();
    });
    const connection = await sim.waitForConnection(1);
    assert.ok(connection.subscriptions.some((s) => s.type === 'CALLBACK' && s.topic === sdk.TOPIC_ROBOT));
    const gatewayCall = await sim.waitForRequest('/v1.0/gateway/connections/open');
    assert.match(gatewayCall.headers['accept'] ?? '', /application\/json/);

    const handle = sim.robotMessage({ text: '你好', conversationType: '2' });
    const push = await received;
    assert.equal(push.headers.messageId, handle.messageId);
    assert.equal(JSON.parse(push.data).text.content, ' 你好');
    const ack = await handle.acked;
    assert.equal(ack.valid, true);
    assert.deepEqual(JSON.parse((ack.ack as { data: string }).data), { response: { ok: true } });

    const pingReply = await sim.waitForAck((a) => a.kind === 'ping');
    assert.equal(pingReply.valid, true);
  });

  it("reads an AI action answer as the SDK's sendGraphAPIResponse writes it (sim.aiInvoke)", async () => {
    // sendGraphAPIResponse and TOPIC_AI_GRAPH_API are in the SDK (constants.ts, client.ts) but not in bench's types.
    type GraphSdk = { TOPIC_AI_GRAPH_API: string };
    type GraphClient = SdkClient & { sendGraphAPIResponse(messageId: string, value: unknown): void };
    const topic = (sdk as unknown as GraphSdk).TOPIC_AI_GRAPH_API;
    const received = new Promise<SdkPush>((resolve) => {
      const graphClient = new sdk.DWClient({
        clientId: SIMULATOR_APP.clientId,
        clientSecret: SIMULATOR_APP.clientSecret,
        keepAlive: false,
      }) as GraphClient;
      client = graphClient;
      graphClient.registerCallbackListener(topic, (push) => {
        const request = JSON.parse(push.data) as { requestLine: { uri: string } };
        graphClient.sendGraphAPIResponse(push.headers.messageId, {
          response: { statusLine: { code: 200, reasonPhrase: 'OK' }, headers: {}, body: JSON.stringify({ uri: request.requestLine.uri }) },
        });
        resolve(push);
      });
      void graphClient.connect();
    });
    const connection = await sim.waitForConnection(1);
    assert.ok(connection.subscriptions.some((s) => s.type === 'CALLBACK' && s.topic === '/v1.0/graph/api/invoke'));
    const answer = await sim.aiInvoke({ method: 'GET', path: '/v1/actions/example/weather/get', query: { location: '杭州' } });
    const push = await received;
    assert.deepEqual(JSON.parse(push.data).requestLine, { method: 'GET', uri: '/v1/actions/example/weather/get?location=%E6%9D%AD%E5%B7%9E' });
    assert.equal(answer.problem, undefined);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { uri: '/v1/actions/example/weather/get?location=%E6%9D%AD%E5%B7%9E' });
  });

  it('POST /sim/ai/invoke checks its body and says when nothing answered', async () => {
    const bad = await postJson(`${sim.apiBase}/sim/ai/invoke`, { path: 'no-slash' });
    assert.equal(bad.status, 400);
    const unanswered = await postJson(`${sim.apiBase}/sim/ai/invoke`, { path: '/v1/x', timeoutMs: 50 });
    assert.equal(unanswered.status, 200);
    assert.equal(unanswered.body.answered, false);
    assert.match(unanswered.body.problem, /no answer within 50 ms/);
  });
});
