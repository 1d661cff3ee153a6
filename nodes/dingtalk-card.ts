import type { Node, NodeAPI } from 'node-red';
import { createAndDeliverCard, updateCard } from '../src/api/card';
import { CardSessions, type CardSession } from '../src/api/card-sessions';
import { DingTalkError } from '../src/api/errors';
import {
  CARD_OPERATIONS,
  cardOperation,
  cardParamMap,
  cardTarget,
  cardTemplateId,
  outTrackId,
  streamChunk,
  type CardNodeOptions,
  type CardOperation,
} from '../src/msg/card-input';
import { MsgInputError, isNonEmptyString, sizeError } from '../src/msg/input-error';
import { INPUT_LIMITS } from '../src/msg/limits';
import { positiveNumber } from '../src/msg/settings';
import { ActionRunner, type ActionNodeDef, type ActionResult } from './shared/action-runner';
import type { DingTalkAppNode } from './shared/app-node';
import { withBudget } from './shared/budget';
import { guardCallback } from './shared/guard';
import { doneStatus, partialStatus } from './shared/status';

const TYPE = 'dingtalk-card';
const DEFAULT_STREAM_KEY = 'content';
const DEFAULT_IDLE_SEC = 300;
/** On close, open streams get this long to send their last text before they are cut off. */
const CLOSE_FINISH_BUDGET_MS = 3000;

interface CardNodeDef extends ActionNodeDef {
  operation?: string;
  cardTemplateId?: string;
  target?: string;
  userId?: string;
  openConversationId?: string;
  streamKey?: string;
  streamIdleSec?: number | string;
}

function nodeOptions(config: CardNodeDef): CardNodeOptions {
  const op = config.operation ?? 'createAndDeliver';
  const target = config.target ?? '';
  return {
    operation: op === '' || (CARD_OPERATIONS as readonly string[]).includes(op) ? (op as CardOperation | '') : 'createAndDeliver',
    cardTemplateId: config.cardTemplateId ?? '',
    target: target === 'user' || target === 'group' ? target : '',
    userId: config.userId ?? '',
    openConversationId: config.openConversationId ?? '',
  };
}

function errorText(msg: Record<string, unknown>, fallback: string): string {
  const e = msg['error'];
  if (isNonEmptyString(e)) return e;
  if (e && typeof e === 'object' && isNonEmptyString((e as { message?: unknown }).message)) return (e as { message: string }).message;
  return fallback;
}

/**
 * DingTalk refuses a second card with the same outTrackId (`param.cardAlreadyExist`, its "创建并投放卡片" page): usually a
 * msg.outTrackId carried over from an earlier card. Said in the node's words, naming the property to change.
 */
function alreadyExists(err: unknown): MsgInputError | undefined {
  if (!(err instanceof DingTalkError) || err.code !== 'param.cardAlreadyExist') return undefined;
  return new MsgInputError(
    'cardAlreadyExist',
    'msg.outTrackId',
    'A card with this msg.outTrackId already exists (DingTalk: param.cardAlreadyExist). For a new card use a new outTrackId, or delete msg.outTrackId and one is generated; to change the existing card use the operation "update".',
  );
}

export = function (RED: NodeAPI): void {
  function DingTalkCardNode(this: Node, config: CardNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const runner = new ActionRunner(RED, node, config, TYPE);
    const opts = nodeOptions(config);
    const streamKey = (config.streamKey ?? '').trim() || DEFAULT_STREAM_KEY;
    const idleMs = (positiveNumber(config.streamIdleSec) ?? DEFAULT_IDLE_SEC) * 1000;
    let closing = false;

    const t = runner.t;
    const sessions = new CardSessions({
      idleMs,
      onIdle: guardCallback(node, 'finishing an idle card stream', (id: string, session: CardSession) => {
        node.warn(
          t('warn.idle', 'No chunk for __seconds__ s on card __outTrackId__: finishing the stream.', {
            seconds: String(idleMs / 1000),
            outTrackId: id,
          }),
        );
        session.streamer.finish().catch((err: unknown) => node.warn(runner.userError(err).message));
      }),
    });
    const streamingStatus = (): ActionResult['status'] => ({
      fill: 'blue',
      shape: 'ring',
      text: t('status.streaming', 'streaming (__count__ active)', { count: String(sessions.size) }),
    });

    function sessionFor(app: DingTalkAppNode, id: string): CardSession {
      const open = sessions.get(id);
      if (open) return open;
      if (sessions.hasEnded(id)) {
        throw new MsgInputError(
          'streamFinished',
          'msg.outTrackId',
          `The stream into card ${id} has already finished (msg.complete, msg.error or the idle time); start a new card to stream again.`,
          { outTrackId: id },
        );
      }
      return sessions.start(id, app.getApi(), {
        key: streamKey,
        // What the chat shows: in the runtime's language, like the rest of what this node says.
        truncatedNote: t('card.truncatedNote', '(The answer is too long for one card; the rest is not shown.)'),
        emptyText: t('card.emptyAnswer', '(no answer)'),
        // The card is finished now, with "…": tell the flow at once, not only when the stream completes (ADR 0011).
        onTruncated: ({ totalChars, limitBytes }) => {
          node.warn(
            t(
              'warn.truncated',
              'The text streamed into card __outTrackId__ is more than one card takes (__limit__ bytes): the card was finished with its start and "…". The whole text (__chars__ characters so far) will be in msg.dingtalkResponse.text when the stream completes; send the rest as a message or a new card.',
              { outTrackId: id, limit: String(limitBytes), chars: String(totalChars) },
            ),
          );
          runner.status(partialStatus(t('status.truncated', 'card full: text cut short')));
        },
      });
    }

    async function stream(msg: Record<string, unknown>, app: DingTalkAppNode): Promise<ActionResult> {
      const id = outTrackId(msg);
      const chunk = streamChunk(msg);
      const session = sessionFor(app, id);
      // Every update resends the whole text (isFull), so the total is capped, not only each chunk.
      const total = session.streamer.text.length + (chunk.kind === 'fail' ? 0 : (chunk.text?.length ?? 0));
      if (total > INPUT_LIMITS.streamTextChars) {
        throw sizeError(
          'msg.payload',
          total,
          INPUT_LIMITS.streamTextChars,
          'characters',
          'That is the whole text streamed into this card; finish it (msg.complete) and continue in a new card.',
        );
      }
      if (chunk.kind === 'append') {
        if (chunk.text) session.streamer.append(chunk.text);
        sessions.touch(id);
        const failure = session.takeFailure();
        if (failure) throw failure;
        return {
          noOutput: true,
          status: session.streamer.truncated ? partialStatus(t('status.truncated', 'card full: text cut short')) : streamingStatus(),
        };
      }
      sessions.end(id);
      if (chunk.kind === 'finish') {
        if (chunk.text) session.streamer.append(chunk.text);
        await session.streamer.finish();
      } else {
        await session.streamer.fail(errorText(msg, chunk.text || t('status.streamFailed', 'stream marked failed')));
      }
      const streamer = session.streamer;
      msg['dingtalkResponse'] = {
        outTrackId: id,
        text: streamer.text,
        shownText: streamer.shownText,
        truncated: streamer.truncated,
        updates: streamer.requestCount,
        failed: chunk.kind === 'fail',
      };
      if (chunk.kind === 'fail') return { status: partialStatus(t('status.streamFailed', 'stream marked failed')) };
      return streamer.truncated
        ? { status: partialStatus(t('status.finishedTruncated', 'stream finished, text cut short')) }
        : { status: doneStatus(t('status.finished', 'stream finished')) };
    }

    runner.listen(async (msg, app) => {
      if (closing) throw new Error(t('errors.closing', 'The node is being redeployed; the message was not processed.'));
      const operation = cardOperation(opts, msg);
      if (operation === 'stream') return stream(msg, app);
      if (operation === 'update') {
        const id = outTrackId(msg);
        const cardData = cardParamMap(msg.payload);
        await updateCard(app.getApi(), { outTrackId: id, cardData, updateByKey: true });
        msg['dingtalkResponse'] = { success: true, outTrackId: id };
        return { status: doneStatus(t('status.updated', 'card updated')) };
      }
      const target = cardTarget(opts, msg);
      const outcome = await createAndDeliverCard(app.getApi(), {
        cardTemplateId: cardTemplateId(opts, msg),
        ...(isNonEmptyString(msg['outTrackId']) ? { outTrackId: msg['outTrackId'].trim() } : {}),
        cardData: cardParamMap(msg.payload),
        // Always: without STREAM a card never calls back over our connection and its buttons do nothing.
        callbackType: 'STREAM',
        robotCode: app.robotCode,
        ...(target.space === 'group' ? { conversationId: target.openConversationId } : { userId: target.userId }),
      }).catch((err: unknown) => {
        throw alreadyExists(err) ?? err;
      });
      msg['outTrackId'] = outcome.outTrackId;
      msg['dingtalkResponse'] = outcome;
      return { status: doneStatus(t('status.created', 'card delivered')) };
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      runner.close();
      const open = sessions.endAll();
      // Give the open cards their text and a finished state; whatever is not done in time is cut off. The app keeps
      // its API client open until this node leaves it (dingtalk-stream-app waits for its users on close).
      void withBudget(Promise.allSettled(open.map((s) => s.streamer.finish())), CLOSE_FINISH_BUDGET_MS).then(() => {
        // Whatever happens to one streamer, the node must still leave the app and call done within Node-RED's 15 s.
        for (const s of open) guardCallback(node, 'closing a card stream', () => s.streamer.close())();
        runner.leave(done);
      });
    });
  }

  RED.nodes.registerType(TYPE, DingTalkCardNode);
};
