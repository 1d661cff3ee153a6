import type { Node, NodeAPI } from 'node-red';
import { z } from 'zod';
import { DingTalkError } from '../src/api/errors';
import { apiCall } from '../src/msg/api-input';
import { ActionRunner, type ActionNodeDef } from './shared/action-runner';
import { doneStatus } from './shared/status';

const TYPE = 'dingtalk-api';

interface ApiNodeDef extends ActionNodeDef {
  method?: string;
  path?: string;
  query?: string;
  body?: string;
}

const OUTCOME_UNKNOWN_HINT =
  'check in DingTalk whether the call took effect (e.g. whether the to-do, event or approval now exists) before calling again';

/** Any API answers its own shape: the node hands it on as it came. */
const AnyAnswer = z.unknown();

export = function (RED: NodeAPI): void {
  function DingTalkApiNode(this: Node, config: ApiNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const runner = new ActionRunner(RED, node, config, TYPE);
    const settings = { method: config.method, path: config.path, query: config.query, body: config.body };

    runner.listen(async (msg, app) => {
      const call = apiCall(msg, settings);
      const answer = await app
        .getApi()
        .call(
          {
            method: call.method,
            path: call.path,
            query: call.query,
            body: call.body,
            tokenIn: call.tokenIn,
            idempotent: call.idempotent,
          },
          AnyAnswer,
        )
        .catch((err: unknown) => {
          // The client's advice speaks of messages and cards; this call may have created anything.
          if (err instanceof DingTalkError && err.outcomeUnknown) throw err.with({ hint: OUTCOME_UNKNOWN_HINT });
          throw err;
        });
      msg.payload = answer;
      msg['dingtalkResponse'] = answer;
      return { status: doneStatus(runner.t('status.done', '__method__ __path__', { method: call.method, path: shortPath(call.path) })) };
    });

    node.on('close', (_removed: boolean, done: () => void) => runner.leave(done));
  }

  RED.nodes.registerType(TYPE, DingTalkApiNode);
};

/** The last two segments: enough to tell calls apart on the dot. */
function shortPath(path: string): string {
  const parts = path.split('/').filter((s) => s !== '');
  return parts.length <= 2 ? path : `…/${parts.slice(-2).join('/')}`;
}
