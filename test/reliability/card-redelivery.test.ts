/**
 * What the soak found, in small: DingTalk re-pushes a frame whose ack did not arrive in time. Robot messages (msgId),
 * events (eventId) and card clicks (messageId, which a re-push keeps: ADR 0002) must each reach the flow once.
 */
import { strict as assert } from 'node:assert';
import { DingTalkSimulator, SIMULATOR_APP } from '../../src/simulator';
import { StreamClient } from '../../src/stream/client';

describe('reliability: re-pushes after a lost ack', function () {
  let sim: DingTalkSimulator;
  let client: StreamClient;

  beforeEach(async () => {
    sim = new DingTalkSimulator({ ackTimeoutMs: 150, maxRepush: 2, pingIntervalMs: 60_000 });
    await sim.start();
    client = new StreamClient({
      clientId: SIMULATOR_APP.clientId,
      clientSecret: SIMULATOR_APP.clientSecret,
      apiBase: sim.apiBase,
      timing: { callbackDeadlineMs: 100, backoffBaseMs: 20, backoffMaxMs: 100 },
    });
  });
  afterEach(async () => {
    await client.close();
    await sim.stop();
  });

  /** Lets DingTalk re-push `maxRepush` times (acks ignored), then accepts acks again and waits for the last one. */
  async function withLostAcks(push: () => { pushId: string }): Promise<void> {
    sim.setFaults({ ignoreAcks: true });
    const { pushId } = push();
    const deliveries = (): number => sim.acks.filter((a) => a.pushId === pushId).length;
    await sim.waitFor(() => deliveries() >= 3, 5_000, 'three deliveries, each acked (and ignored)');
    sim.setFaults({ ignoreAcks: false });
  }

  it('a robot message is delivered once however often it is re-pushed', async () => {
    let calls = 0;
    client.onRobotMessage(() => void calls++);
    client.start();
    await sim.waitForConnection(1);
    await withLostAcks(() => sim.robotMessage({ text: 'once' }));
    assert.equal(calls, 1);
  });

  it('an event is delivered once however often it is re-pushed', async () => {
    let calls = 0;
    client.onEvent(() => {
      calls++;
      return 'SUCCESS';
    });
    client.start();
    await sim.waitForConnection(1);
    await withLostAcks(() => sim.event('bpms_instance_change', { processInstanceId: 'p1' }, { eventId: 'ev-once' }));
    assert.equal(calls, 1);
  });

  it('a card click is delivered once however often it is re-pushed', async () => {
    let calls = 0;
    client.onCardCallback(() => {
      calls++;
      return { cardData: { cardParamMap: { status: 'approved' } } };
    });
    client.start();
    await sim.waitForConnection(1);
    await withLostAcks(() => sim.cardCallback({ outTrackId: 'card-once', userId: 'u1', actionIds: ['approve'] }));
    assert.equal(calls, 1, `the card handler ran ${calls} times for one click`);
  });
});
