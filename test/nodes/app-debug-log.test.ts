import assert from 'node:assert/strict';
import { loadAction, loggedText, useNodeRedWithSimulator } from './support';

const sendNode: unknown = require('../../nodes/dingtalk-send');
const REQUEST_LINE = /POST \/v1\.0\/robot\/oToMessages\/batchSend -> 200 in \d+ ms/;

describe('dingtalk-stream-app: per-request debug lines', function () {
  describe('with Node-RED logging at debug level', function () {
    const env = useNodeRedWithSimulator({ settings: { logging: { console: { level: 'debug' } } } });

    it('logs one line per OpenAPI request, without the token', async () => {
      const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send' });
      const { error } = await flow.send({ payload: 'hi', userIds: 'alice' });
      assert.equal(error, undefined);
      const logged = loggedText();
      assert.match(logged, REQUEST_LINE);
      const token = env.sim.requests.find((r) => r.path === '/v1.0/robot/oToMessages/batchSend')?.headers['x-acs-dingtalk-access-token'];
      assert.ok(token && !logged.includes(token));
    });
  });

  describe('with the default logging', function () {
    const env = useNodeRedWithSimulator();

    it('builds no per-request line at all', async () => {
      const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send' });
      const { error } = await flow.send({ payload: 'hi', userIds: 'alice' });
      assert.equal(error, undefined);
      assert.doesNotMatch(loggedText(), REQUEST_LINE);
    });
  });
});
