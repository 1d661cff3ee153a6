import assert from 'node:assert/strict';
import { z } from 'zod';
import { OpenApiClient } from '../../src/api/http';
import { SIMULATOR_APP } from '../../src/simulator';
import { ALL_MODULES, FAST_TIMINGS, ackData, exampleFlow, helper, useNodeRedWithSimulator } from './support';
import { requireFromRuntime } from './runtime';

const CORE = '@node-red/nodes/core';
const coreModules: unknown[] = [
  requireFromRuntime(`${CORE}/function/10-function.js`),
  requireFromRuntime(`${CORE}/function/10-switch.js`),
  requireFromRuntime(`${CORE}/common/21-debug.js`),
  requireFromRuntime(`${CORE}/common/90-comment.js`),
];

function status(ack: { ack: unknown }): string {
  return String(ackData(ack.ack)['status']);
}

describe('example flows (triggers)', function () {
  const env = useNodeRedWithSimulator(FAST_TIMINGS);

  it('card-in-and-response.json: a click on "accept" marks the card approved and keeps its other fields', async () => {
    const api = new OpenApiClient({ clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret, apiBase: env.sim.apiBase });
    await api.call(
      {
        method: 'POST',
        path: '/v1.0/card/instances',
        body: {
          cardTemplateId: 'tpl.schema',
          outTrackId: 'leave-1',
          cardData: { cardParamMap: { title: 'Leave', status: 'Pending' } },
          callbackType: 'STREAM',
        },
      },
      z.looseObject({}),
    );
    await api.close();
    const { flow, credentials } = exampleFlow('card-in-and-response.json', env.sim);
    await helper.load([...ALL_MODULES, ...coreModules], flow, credentials);
    await env.sim.waitForConnection();
    const push = env.sim.cardCallback({ outTrackId: 'leave-1', userId: 'manager1', params: { action: 'accept' } });
    await push.acked;
    assert.deepEqual(env.sim.card('leave-1')!.cardParamMap, { title: 'Leave', status: 'Approved', decidedBy: 'manager1' });
  });

  it('ai-assistant-action.json: the assistant gets the leave balance of the user in the path, and 404 for an unknown one', async () => {
    const { flow, credentials } = exampleFlow('ai-assistant-action.json', env.sim);
    await helper.load(
      [...ALL_MODULES, require('../../nodes/dingtalk-ai-in'), require('../../nodes/dingtalk-ai-response'), ...coreModules],
      flow,
      credentials,
    );
    await env.sim.waitForConnection();
    const known = await env.sim.aiInvoke({ method: 'POST', path: '/v1/actions/leave/manager4711', body: { leaveType: 'sick' } });
    assert.equal(known.status, 200);
    assert.deepEqual(known.json, { userId: 'manager4711', leaveType: 'sick', daysLeft: 5 });
    const unknown = await env.sim.aiInvoke({ method: 'POST', path: '/v1/actions/leave/nobody', body: {} });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json, { error: 'unknown user', userId: 'nobody' });
  });

  it('event-in.json: a handled approval is acked SUCCESS, a failing one LATER (and re-pushed)', async () => {
    const { flow, credentials } = exampleFlow('event-in.json', env.sim);
    await helper.load([...ALL_MODULES, ...coreModules], flow, credentials);
    await env.sim.waitForConnection();
    const good = env.sim.event('bpms_instance_change', { processInstanceId: 'p1', type: 'finish', result: 'agree', title: 'Leave' });
    assert.equal(status(await good.acked), 'SUCCESS');
    const started = env.sim.event('bpms_instance_change', { processInstanceId: 'p2', type: 'start' });
    assert.equal(status(await started.acked), 'SUCCESS');
    const bad = env.sim.event('bpms_instance_change', { type: 'finish', result: 'agree' });
    assert.equal(status(await env.sim.waitForAck((a) => a.pushId === bad.pushId)), 'LATER');
    await env.sim.waitFor(() => env.sim.acks.filter((a) => a.pushId === bad.pushId).length >= 2, 5000, 'the re-push to be acked again');
  });
});
