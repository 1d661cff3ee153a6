import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { CardCallbackResponse } from '../src/stream/frames';
import { cardActionPayload, type CardResponder } from './shared/card-callback';
import { attachTrigger } from './shared/trigger';

interface CardInConfig extends NodeDef {
  app?: string;
  /** Seconds a dingtalk-card-response node has to answer before an empty success goes out. */
  deadline?: string | number;
}

const DEFAULT_DEADLINE_S = 3;
/** Our own "no change" answer must leave before the Stream client's fallback, or a late answer would be lost. */
const DEADLINE_MARGIN_MS = 250;

export = function (RED: NodeAPI): void {
  function DingTalkCardInNode(this: Node, config: CardInConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const seconds = Number(config.deadline);
    const wantedMs = (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_DEADLINE_S) * 1000;
    let deadlineMs = wantedMs;
    const waiting = new Set<() => void>();

    attachTrigger(
      RED,
      node,
      config.app,
      { card: true },
      (stream, app) => {
        const limitMs = Math.max(app.callbackDeadlineMs - DEADLINE_MARGIN_MS, 100);
        if (wantedMs > limitMs) {
          deadlineMs = limitMs;
          node.warn(RED._('dingtalk-card-in.warn.deadlineCapped', { seconds: String(limitMs / 1000) }));
        }
        return stream.onCardCallback(
          (push) =>
            new Promise<CardCallbackResponse | undefined>((resolve) => {
              let open = true;
              const finish = (answer: CardCallbackResponse | undefined): boolean => {
                if (!open) return false;
                open = false;
                clearTimeout(timer);
                waiting.delete(giveUp);
                resolve(answer);
                return true;
              };
              // No answer in time: an empty success, so the card stays as it is and the click is not retried.
              const giveUp = (): void => void finish(undefined);
              const timer = setTimeout(giveUp, deadlineMs);
              waiting.add(giveUp);
              const responder: CardResponder = { messageId: push.headers.messageId, respond: (answer) => finish(answer) };
              node.send({
                topic: push.data.outTrackId,
                payload: cardActionPayload(push.data),
                dingtalk: { ...push.headers },
                _dingtalkCard: responder,
              });
            }),
        );
      },
      () => {
        for (const giveUp of [...waiting]) giveUp();
      },
    );
  }

  RED.nodes.registerType('dingtalk-card-in', DingTalkCardInNode);
};
