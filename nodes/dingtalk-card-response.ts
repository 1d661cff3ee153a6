import type { Node, NodeAPI, NodeDef } from 'node-red';
import { isCardResponder, parseCardAnswer } from './shared/card-callback';
import { guardInput } from './shared/guard';
import { translator } from './shared/i18n';

type CardResponseConfig = NodeDef;

export = function (RED: NodeAPI): void {
  function DingTalkCardResponseNode(this: Node, config: CardResponseConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = translator(RED, 'dingtalk-card-response');

    node.on(
      'input',
      guardInput(RED, node, (msg, send, done) => {
        const responder = msg['_dingtalkCard'];
        if (!isCardResponder(responder)) {
          done(new Error(RED._('dingtalk-card-response.errors.noCallback')));
          return;
        }
        const parsed = parseCardAnswer(msg.payload);
        if (!parsed.ok) {
          done(new Error(RED._('dingtalk-card-response.errors.invalidAnswer', { reason: parsed.reason })));
          return;
        }
        if (!responder.respond(parsed.answer)) {
          done(new Error(RED._('dingtalk-card-response.errors.tooLate', { messageId: responder.messageId })));
          return;
        }
        send(msg);
        done();
      }, t),
    );
  }

  RED.nodes.registerType('dingtalk-card-response', DingTalkCardResponseNode);
};
