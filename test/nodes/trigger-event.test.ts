import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DingTalkSimulator, RecordedAck } from '../../src/simulator';
import { ALL_MODULES, FAST_TIMINGS, Inbox, TAB, ackData, appConfig, helper, simCredentials, useNodeRedWithSimulator, workerModule } from './support';

interface Loaded {
  events: Inbox;
}

/** [app, event-in -> worker -> out] (or event-in -> out without a worker mode). */
async function loadEventIn(
  sim: DingTalkSimulator,
  config: Record<string, unknown>,
  workerMode?: string,
  extra: Record<string, unknown>[] = [],
): Promise<Loaded> {
  const flow: Record<string, unknown>[] = [
    TAB,
    appConfig(sim),
    {
      id: 'events',
      z: TAB.id,
      type: 'dingtalk-event-in',
      app: 'app1',
      eventTypes: '',
      ackPolicy: 'emit',
      ackTimeout: 5,
      ...config,
      wires: [[workerMode ? 'worker' : 'out']],
    },
    { id: 'out', z: TAB.id, type: 'helper' },
  ];
  if (workerMode) flow.push({ id: 'worker', z: TAB.id, type: 'test-worker', mode: workerMode, wires: [['out']] });
  // A tap on the trigger's output, to see every delivery even when the worker fails.
  flow.push({ id: 'tap', z: TAB.id, type: 'helper' }, ...extra);
  (flow[2] as { wires: string[][] }).wires[0]!.push('tap');
  await helper.load([...ALL_MODULES, workerModule], flow, simCredentials());
  const events = new Inbox(helper.getNode('tap')!);
  await sim.waitForConnection();
  return { events };
}

function statusOf(ack: RecordedAck): string {
  return String(ackData(ack.ack)['status']);
}

describe('dingtalk-event-in', function () {
  const env = useNodeRedWithSimulator({ ...FAST_TIMINGS, simulator: { laterRetryMs: 50 } });

  it('delivers an event with topic = event type, payload = data, msg.dingtalk = headers, and acks SUCCESS', async () => {
    const { events } = await loadEventIn(env.sim, {});
    const data = { processInstanceId: 'proc-1', type: 'finish', result: 'agree' };
    const push = env.sim.event('bpms_instance_change', data, { eventId: 'evt-1' });
    const msg = await events.nth(1);
    assert.equal(msg['topic'], 'bpms_instance_change');
    assert.deepEqual(msg['payload'], data);
    assert.equal(msg['dingtalk'].eventId, 'evt-1');
    assert.equal(msg['dingtalk'].eventType, 'bpms_instance_change');
    assert.equal(typeof msg['dingtalk'].eventCorpId, 'string');
    assert.equal(typeof msg['dingtalk'].eventBornTime, 'string');
    assert.equal(msg['dingtalk'].messageId, push.messageId);
    assert.equal(statusOf(await push.acked), 'SUCCESS');
  });

  it('subscribes to EVENT * only', async () => {
    await loadEventIn(env.sim, {});
    const subs = env.sim.openConnections[0]!.subscriptions.filter((s) => s.type !== 'SYSTEM');
    assert.deepEqual(
      subs.map((s) => `${s.type} ${s.topic}`),
      ['EVENT *'],
    );
  });

  it('skips events not in its filter but still acks them SUCCESS', async () => {
    const { events } = await loadEventIn(env.sim, { eventTypes: 'bpms_instance_change, bpms_task_change' });
    const other = env.sim.event('user_add_org', { userId: ['u1'] });
    assert.equal(statusOf(await other.acked), 'SUCCESS');
    env.sim.event('bpms_task_change', { taskId: 't1' });
    const first = await events.nth(1);
    assert.equal(first['topic'], 'bpms_task_change');
  });

  it('filters approval events by template (processCode), acking the others SUCCESS; events without one pass', async () => {
    // The event body DingTalk's page shows (test/fixtures), once for another template and once for ours.
    const fixture = JSON.parse(
      readFileSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'dingtalk', 'bpms_instance_change.stream.json'), 'utf8'),
    ) as {
      data: Record<string, unknown>;
    };
    const { events } = await loadEventIn(env.sim, { processCodes: 'PROC-EXPENSE, PROC-LEAVE' });
    const other = env.sim.event('bpms_instance_change', { ...fixture.data, processCode: 'PROC-TRAVEL' });
    assert.equal(statusOf(await other.acked), 'SUCCESS');
    env.sim.event('user_add_org', { userId: ['u1'] });
    env.sim.event('bpms_instance_change', { ...fixture.data, processCode: 'PROC-LEAVE' });
    const first = await events.nth(1);
    const second = await events.nth(2);
    assert.equal(first['topic'], 'user_add_org', 'an event with no template is not filtered');
    assert.equal(second['payload'].processCode, 'PROC-LEAVE');
    assert.equal(second['payload'].title, fixture.data['title']);
    assert.equal(events.messages.length, 2, 'the other template never reached the flow');
  });

  it('waiting for the flow: acks SUCCESS once the flow finished', async () => {
    const { events } = await loadEventIn(env.sim, { ackPolicy: 'flow' }, 'ok');
    const push = env.sim.event('bpms_instance_change', { processInstanceId: 'p2' });
    await events.nth(1);
    assert.equal(statusOf(await push.acked), 'SUCCESS');
  });

  it('waiting for the flow: a failed flow acks LATER, DingTalk re-pushes, and the retry is acked SUCCESS', async () => {
    const { events } = await loadEventIn(env.sim, { ackPolicy: 'flow' }, 'fail-first');
    const push = env.sim.event('bpms_instance_change', { processInstanceId: 'p3' }, { eventId: 'evt-3' });
    const first = await env.sim.waitForAck((a) => a.pushId === push.pushId);
    assert.equal(statusOf(first), 'LATER');
    const retry = await events.nth(2);
    assert.equal(retry['dingtalk'].eventId, 'evt-3');
    const success = await env.sim.waitForAck((a) => a.pushId === push.pushId && statusOf(a) === 'SUCCESS');
    assert.ok(success);
  });

  it('waiting for the flow: an error reported to a Catch node acks LATER', async () => {
    // The worker reports with node.error(err, msg) and then calls done() without the error, like older nodes do.
    await loadEventIn(env.sim, { ackPolicy: 'flow' }, 'error-catch', [
      { id: 'catcher', z: TAB.id, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: TAB.id, type: 'helper' },
    ]);
    const push = env.sim.event('bpms_instance_change', { processInstanceId: 'p4' });
    const first = await env.sim.waitForAck((a) => a.pushId === push.pushId);
    assert.equal(statusOf(first), 'LATER');
  });

  it('waiting for the flow: a flow that does not finish in time acks LATER', async () => {
    await loadEventIn(env.sim, { ackPolicy: 'flow', ackTimeout: 0.2 }, 'never');
    const push = env.sim.event('bpms_instance_change', { processInstanceId: 'p5' });
    const first = await env.sim.waitForAck((a) => a.pushId === push.pushId);
    assert.equal(statusOf(first), 'LATER');
  });

  it('waiting for the flow: an event filtered out is acked SUCCESS at once', async () => {
    await loadEventIn(env.sim, { ackPolicy: 'flow', eventTypes: 'bpms_instance_change' }, 'never');
    const push = env.sim.event('user_leave_org', { userId: ['u2'] });
    assert.equal(statusOf(await push.acked), 'SUCCESS');
  });
});
