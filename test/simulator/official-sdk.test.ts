import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { SIMULATOR_APP, type DingTalkSimulator } from '../../src/simulator';
import { startSim } from './helpers';

/**
 * The official Node SDK, unchanged, against the simulator: proves the simulator speaks the protocol the way real
 * clients expect. The SDK hard-codes https://api.dingtalk.com for the gateway call, so that one URL is redirected
 * with a request interceptor on the very axios instance the SDK uses; the ws:// endpoint comes from the simulator.
 */

interface SdkPush {
  headers: { messageId: string; topic: string };
  data: string;
}
interface SdkClient {
  connect(): Promise<void>;
  disconnect(): void;
  registerCallbackListener(topic: string, callback: (push: SdkPush) => void): SdkClient;
  socketCallBackResponse(messageId: string, result: unknown): void;
}
interface SdkModule {
  DWClient: new (opts: { clientId: string; clientSecret: string; keepAlive?: boolean; autoReconnect?: boolean }) => SdkClient;
  TOPIC_ROBOT: string;
  GATEWAY_URL: string;
}
interface AxiosRequestConfigLike {
  url?: string;
  proxy?: unknown;
}
interface AxiosLike {
  interceptors: { request: { use(fn: (config: AxiosRequestConfigLike) => AxiosRequestConfigLike): number; eject(id: number): void } };
}

const localRequire = createRequire(__filename);
const sdk = localRequire('dingtalk-stream') as SdkModule;
const sdkAxios = createRequire(localRequire.resolve('dingtalk-stream'))('axios') as AxiosLike;

describe('simulator: official dingtalk-stream SDK', () => {
  let sim: DingTalkSimulator;
  let interceptor: number | undefined;
  let client: SdkClient | undefined;
  const originalInfo = console.info;

  beforeEach(async () => {
    sim = await startSim({ pingIntervalMs: 50 });
    interceptor = sdkAxios.interceptors.request.use((config) => {
      if (config.url === sdk.GATEWAY_URL) return { ...config, url: `${sim.apiBase}/v1.0/gateway/connections/open`, proxy: false };
      return config;
    });
    // The SDK logs "connect success"/"Disconnecting." with console.info; keep test output readable.
    console.info = () => undefined;
  });

  afterEach(async () => {
    client?.disconnect();
    client = undefined;
    if (interceptor !== undefined) sdkAxios.interceptors.request.eject(interceptor);
    interceptor = undefined;
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
});
