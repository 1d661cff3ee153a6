import type { Node, NodeAPI, NodeDef } from 'node-red';
import { OURS } from '../src/contract';
import { positiveNumber } from '../src/msg/settings';
import type { CardCallbackResponse } from '../src/stream/frames';
import { cardActionPayload, type CardResponder } from '../src/msg/inbound-card';
import { mayReach } from './shared/flow-graph';
import { attachTrigger } from './shared/trigger';

interface CardInConfig extends NodeDef {
  app?: string;
  /**
   * Seconds a dingtalk-card-response node has to answer before an empty success goes out; empty = as long as DingTalk
   * allows. Capped below DingTalk's 2 s (src/contract.ts).
   */
  deadline?: string | number;
}

export = function (RED: NodeAPI): void {
  function DingTalkCardInNode(this: Node, config: CardInConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const seconds = positiveNumber(config.deadline);
    const wantedMs = seconds === undefined ? undefined : seconds * 1000;
    let deadlineMs = 0;
    const waiting = new Set<() => void>();

    attachTrigger(
      RED,
      node,
      config.app,
      { card: true },
      (stream, app) => {
        // Our "no change" answer must leave before the Stream client's own fallback, or a late answer would be lost.
        const limitMs = Math.max(app.callbackDeadlineMs - OURS.cardInMarginMs, 100);
        deadlineMs = Math.min(wantedMs ?? limitMs, limitMs);
        if (wantedMs !== undefined && wantedMs > limitMs) {
          node.warn(RED._('dingtalk-card-in.warn.deadlineCapped', { seconds: String(limitMs / 1000) }));
        }
        return stream.onCardCallback(
          (push) =>
            new Promise<CardCallbackResponse | undefined>((resolve) => {
              const payload = cardActionPayload(push.data);
              const msg = { topic: push.data.outTrackId, payload, dingtalk: { ...push.headers } };
              // Nothing downstream can answer: ack at once instead of keeping DingTalk (and the user) waiting.
              if (!mayReach(RED, node.id, 'dingtalk-card-response')) {
                resolve(undefined);
                node.send({ ...msg, _dingtalkCard: answered(push.headers.messageId) });
                return;
              }
              let open = true;
              const finish = (answer: CardCallbackResponse | undefined): boolean => {
                if (!open) return false;
                open = false;
                clearTimeout(timer);
                waiting.delete(giveUp);
                resolve(answer);
                return true;
              };
              // No answer in time: an empty success, so the card stays as it is and the click does not fail.
              const giveUp = (): void => void finish(undefined);
              const timer = setTimeout(giveUp, deadlineMs);
              waiting.add(giveUp);
              const responder: CardResponder = { messageId: push.headers.messageId, userId: push.data.userId, respond: (answer) => finish(answer) };
              node.send({ ...msg, _dingtalkCard: responder });
            }),
        );
      },
      () => {
        for (const giveUp of [...waiting]) giveUp();
      },
    );
  }

  /** The responder of a click that was acked on arrival: any answer to it is too late. */
  function answered(messageId: string): CardResponder {
    return { messageId, respond: () => false };
  }

  RED.nodes.registerType('dingtalk-card-in', DingTalkCardInNode);
};
