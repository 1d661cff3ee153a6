import type { Node, NodeAPI, NodeDef } from 'node-red';
import { isCardResponder, parseCardAnswer } from '../src/msg/inbound-card';
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
      guardInput(
        RED,
        node,
        (msg, send, done) => {
          const responder = msg['_dingtalkCard'];
          if (!isCardResponder(responder)) {
            done(new Error(RED._('dingtalk-card-response.errors.noCallback')));
            return;
          }
          // msg._dingtalkCard travels with the msg, so a flow may have changed it: only a string is a userId.
          const clickingUserId = typeof responder.userId === 'string' ? responder.userId : undefined;
          const parsed = parseCardAnswer(msg.payload, clickingUserId);
          if (!parsed.ok) {
            const text = parsed.privateData
              ? RED._('dingtalk-card-response.errors.privateData', {
                  users: parsed.privateData.users,
                  userId: parsed.privateData.clickingUserId ?? '?',
                })
              : RED._('dingtalk-card-response.errors.invalidAnswer', { reason: parsed.reason });
            done(new Error(text));
            return;
          }
          if (!responder.respond(parsed.answer)) {
            done(new Error(RED._('dingtalk-card-response.errors.tooLate', { messageId: responder.messageId })));
            return;
          }
          send(msg);
          done();
        },
        t,
      ),
    );
  }

  RED.nodes.registerType('dingtalk-card-response', DingTalkCardResponseNode);
};
