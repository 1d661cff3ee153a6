import type { Node, NodeAPI, NodeDef } from 'node-red';
import { positiveNumber } from '../src/msg/settings';
import type { EventAckStatus } from '../src/stream/frames';
import { FlowCompletionTracker, type HooksApi } from './shared/flow-completion';
import { attachTrigger } from './shared/trigger';

interface EventInConfig extends NodeDef {
  app?: string;
  /** Comma- or space-separated event types; empty = all. */
  eventTypes?: string;
  /** Comma- or space-separated approval template codes (`data.processCode`); empty = every template. */
  processCodes?: string;
  /** `emit` (SUCCESS once sent, default) or `flow` (wait for the flow: LATER on error or timeout). */
  ackPolicy?: string;
  /** Seconds to wait for the flow under the `flow` policy. */
  ackTimeout?: string | number;
}

const DEFAULT_ACK_TIMEOUT_S = 10;

function wordList(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * Only the RED.hooks the runtime hands over (node API since Node-RED 1.3): a `@node-red/util` found by require() may be
 * another Node-RED's copy (a global install, a second version beside it), whose hooks never fire. Undefined when the
 * runtime has none; the node then warns and acks as soon as it has sent.
 */
function hooksOf(RED: NodeAPI): HooksApi | undefined {
  return (RED as unknown as { hooks?: HooksApi }).hooks;
}

export = function (RED: NodeAPI): void {
  function DingTalkEventInNode(this: Node, config: EventInConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const wanted = new Set(wordList(config.eventTypes));
    const templates = new Set(wordList(config.processCodes));
    const waitForFlow = config.ackPolicy === 'flow';
    const timeoutMs = (positiveNumber(config.ackTimeout) ?? DEFAULT_ACK_TIMEOUT_S) * 1000;
    const hooks = waitForFlow ? hooksOf(RED) : undefined;
    if (waitForFlow && !hooks) node.warn(RED._('dingtalk-event-in.warn.noHooks'));
    const tracker = hooks ? new FlowCompletionTracker(hooks, `dingtalk-event-in-${node.id}`) : undefined;

    const app = attachTrigger(
      RED,
      node,
      config.app,
      { events: true },
      (stream) =>
        stream.onEvent(async (push): Promise<EventAckStatus> => {
          const eventType = push.headers.eventType ?? push.headers.topic;
          // Not ours: taken all the same, or DingTalk would re-push it forever.
          if (wanted.size > 0 && !wanted.has(eventType)) return 'SUCCESS';
          // Approval events name their template; other events have none and are not this filter's business.
          const processCode = push.data['processCode'];
          if (templates.size > 0 && typeof processCode === 'string' && !templates.has(processCode)) return 'SUCCESS';
          const msg = { _msgid: RED.util.generateId(), topic: eventType, payload: push.data, dingtalk: { ...push.headers } };
          if (!tracker) {
            node.send(msg);
            return 'SUCCESS';
          }
          const outcome = tracker.track(msg._msgid, timeoutMs);
          node.send(msg);
          tracker.sent(msg._msgid);
          const result = await outcome;
          if (result === 'finished') return 'SUCCESS';
          node.warn(
            RED._(result === 'failed' ? 'dingtalk-event-in.warn.later' : 'dingtalk-event-in.warn.timeout', {
              eventType,
              eventId: push.headers.eventId ?? push.headers.messageId,
              seconds: String(timeoutMs / 1000),
            }),
          );
          return 'LATER';
        }),
      () => tracker?.dispose(),
    );
    if (!app) tracker?.dispose();
  }

  RED.nodes.registerType('dingtalk-event-in', DingTalkEventInNode);
};
