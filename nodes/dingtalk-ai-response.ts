import type { Node, NodeAPI, NodeDef } from 'node-red';
import { buildAiAnswer, isAiResponder } from '../src/msg/ai-answer';
import { guardInput } from './shared/guard';
import { translator } from './shared/i18n';

type AiResponseConfig = NodeDef;

export = function (RED: NodeAPI): void {
  function DingTalkAiResponseNode(this: Node, config: AiResponseConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = translator(RED, 'dingtalk-ai-response');

    node.on(
      'input',
      guardInput(
        RED,
        node,
        (msg, send, done) => {
          const responder = msg['_dingtalkAi'];
          if (!isAiResponder(responder)) {
            done(
              new Error(
                t(
                  'errors.noCall',
                  'msg._dingtalkAi is missing: this message does not come from an AI in node. Connect the AI response node after an AI in node and keep msg._dingtalkAi.',
                ),
              ),
            );
            return;
          }
          // An invalid answer is not sent: the call stays open, so a Catch node can still answer it before the deadline.
          const built = buildAiAnswer(msg as { payload?: unknown; statusCode?: unknown; headers?: unknown });
          if (!built.ok) {
            done(
              new Error(
                t(
                  'errors.invalidAnswer',
                  'The answer cannot be sent (__reason__). msg.payload: an object (sent as JSON) or a string; msg.statusCode: 100-599; msg.headers: an object of text values. The call is still open: a Catch node may answer it.',
                  { reason: built.reason },
                ),
              ),
            );
            return;
          }
          if (!responder.respond(built.answer)) {
            done(
              new Error(
                t(
                  'errors.tooLate',
                  'The AI action call __messageId__ (__method__ __path__) was already answered: the AI in node\'s answer time had passed (DingTalk got a 504), or the flow was stopped. Answer sooner or raise "Answer within".',
                  {
                    messageId: String(responder.messageId),
                    method: String(responder.method),
                    path: String(responder.path).slice(0, 200),
                  },
                ),
              ),
            );
            return;
          }
          node.status({ fill: 'green', shape: 'dot', text: String(built.answer.statusLine.code) });
          send(msg);
          done();
        },
        (key, fallback, subs) => t(`errors.${key}`, fallback, subs),
      ),
    );
  }

  RED.nodes.registerType('dingtalk-ai-response', DingTalkAiResponseNode);
};
