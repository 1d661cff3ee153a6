import type { Node, NodeAPI, NodeDef } from 'node-red';
import { OURS } from '../src/contract';
import { type AiAnswer, type AiResponder, errorAnswer } from '../src/msg/ai-answer';
import { parsePathPattern } from '../src/msg/ai-path';
import { positiveNumber } from '../src/msg/settings';
import { addAiRoute, type AiCall } from './shared/ai-routes';
import { mayReach } from './shared/flow-graph';
import { translator } from './shared/i18n';
import { configErrorStatus } from './shared/status';
import { attachTrigger } from './shared/trigger';

interface AiInConfig extends NodeDef {
  app?: string;
  /** get, post, put, delete, or any. */
  method?: string;
  /** Path pattern with `:name` parameters, like http in's URL. Empty: every path. */
  url?: string;
  /** Seconds the flow has to answer before a 504 goes out; empty = OURS.aiActionAnswerMs. */
  timeout?: string | number;
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE']);

export = function (RED: NodeAPI): void {
  function DingTalkAiInNode(this: Node, config: AiInConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = translator(RED, 'dingtalk-ai-in');
    const wanted = (config.method ?? 'any').toUpperCase();
    const method = METHODS.has(wanted) ? wanted : '';
    const seconds = positiveNumber(config.timeout);
    const timeoutMs = Math.min(seconds === undefined ? OURS.aiActionAnswerMs : seconds * 1000, OURS.aiActionMaxMs);
    if (seconds !== undefined && seconds * 1000 > OURS.aiActionMaxMs) {
      node.warn(t('warn.timeoutCapped', 'The answer time is capped at __seconds__ s.', { seconds: String(OURS.aiActionMaxMs / 1000) }));
    }
    const pattern = parsePathPattern(config.url ?? '');
    if (!pattern.ok) {
      const text = t(
        'errors.badPath',
        'The path "__path__" cannot be used: __reason__. Write the action\'s path as in its OpenAPI description, e.g. /v1/actions/leave/:userId.',
        { path: String(config.url), reason: pattern.reason },
      );
      node.error(text);
      node.status(configErrorStatus(t('status.badPath', 'invalid path')));
      return;
    }
    const waiting = new Set<(answer: AiAnswer) => void>();
    const label = `${method || 'ANY'} ${pattern.pattern.source || '/*'}`;

    const take = ({ request, params, headers }: AiCall): Promise<AiAnswer> =>
      new Promise<AiAnswer>((resolve) => {
        let open = true;
        const finish = (answer: AiAnswer): boolean => {
          if (!open) return false;
          open = false;
          clearTimeout(timer);
          waiting.delete(finish);
          resolve(answer);
          return true;
        };
        const timer = setTimeout(() => {
          node.warn(
            t(
              'warn.noAnswer',
              'No answer to the AI action call __method__ __path__ within __seconds__ s: DingTalk was answered 504. Connect a dingtalk-ai-response node and answer sooner, or raise "Answer within".',
              {
                method: request.method,
                path: request.path.slice(0, 200),
                seconds: String(timeoutMs / 1000),
              },
            ),
          );
          finish(
            errorAnswer('flowDidNotAnswer', `The flow did not answer ${request.method} ${request.path.slice(0, 200)} within ${timeoutMs / 1000} s.`),
          );
        }, timeoutMs);
        waiting.add(finish);
        const responder: AiResponder = { messageId: headers.messageId, method: request.method, path: request.path, respond: finish };
        node.send({
          topic: request.path,
          payload: request.body ?? {},
          req: {
            method: request.method,
            path: request.path,
            uri: request.uri,
            params,
            query: request.query,
            headers: request.headers,
            body: request.body,
          },
          dingtalk: { ...headers },
          _dingtalkAi: responder,
        });
      });

    attachTrigger(
      RED,
      node,
      config.app,
      { ai: true },
      (stream) => {
        if (!mayReach(RED, node.id, 'dingtalk-ai-response')) {
          node.warn(
            t('warn.noResponseNode', 'No AI response node follows this node: every call to __route__ will be answered 504 after the answer time.', {
              route: label,
            }),
          );
        }
        return addAiRoute(stream, {
          method,
          pattern: pattern.pattern,
          take,
          warn: (kind, detail) =>
            node.warn(
              kind === 'noRoute'
                ? t(
                    'warn.noRoute',
                    'An AI action call to __method__ __path__ matches no AI in node of this app: DingTalk was answered 404. Add an AI in node with this method and path.',
                    detail,
                  )
                : t('warn.badRequest', 'An AI action call could not be read (__reason__): DingTalk was answered 400.', detail),
            ),
        });
      },
      () => {
        if (waiting.size === 0) return undefined;
        // Closing: the pending calls get a clear answer now instead of a silent timeout on DingTalk's side. The acks
        // leave on the next turns of the event loop; the node leaves its app (which may close the socket) after that.
        for (const finish of [...waiting]) finish(errorAnswer('shuttingDown', 'The flow was stopped or redeployed before it answered; call again.'));
        return new Promise<void>((resolve) => setImmediate(resolve));
      },
    );
  }

  RED.nodes.registerType('dingtalk-ai-in', DingTalkAiInNode);
};
