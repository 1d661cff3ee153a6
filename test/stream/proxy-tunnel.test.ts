import assert from 'node:assert/strict';
import { startConnectProxy, type ConnectProxy } from '../nodes/connect-proxy';
import { Harness, waitForState } from './helpers';

describe('stream client: through an HTTP proxy', () => {
  let h: Harness;
  let proxy: ConnectProxy;
  /** The proxy with a login in its URL (the `@` percent-encoded), which the client must send as Proxy-Authorization. */
  const proxyUrl = (): string => `http://proxyuser:p%40ss@${proxy.hostPort}`;
  beforeEach(async () => {
    h = new Harness();
    await h.start();
    proxy = await startConnectProxy();
  });
  afterEach(async () => {
    await h.cleanup();
    await proxy.close();
  });

  it('tunnels both the gateway call and the WebSocket with CONNECT, sending the proxy credentials', async () => {
    const client = h.client({ proxy: proxyUrl() });
    client.onRobotMessage(() => {});
    client.start();
    await waitForState(client, 'connected');
    await h.sim.robotMessage({ text: 'via proxy' }).acked;
    const target = new URL(h.sim.apiBase).host;
    assert.ok(proxy.tunnels.length >= 2, `gateway + websocket tunnels, saw ${proxy.tunnels.length}`);
    assert.ok(proxy.tunnels.every((t) => t === target));
    const expected = `Basic ${Buffer.from('proxyuser:p@ss').toString('base64')}`;
    assert.ok(proxy.auth.every((a) => a === expected));
  });

  it('reports a proxy that refuses the tunnel without leaking its credentials, and keeps retrying', async () => {
    await proxy.close();
    const client = h.client({ proxy: proxyUrl() });
    client.onRobotMessage(() => {});
    client.start();
    const change = await waitForState(client, 'reconnecting');
    assert.ok(change.error);
    assert.equal(change.error.message.includes('p%40ss'), false);
    assert.equal(change.error.message.includes('p@ss'), false);
  });
});
