import type { NodeStatus } from 'node-red';
import type { StateChange } from '../../src/stream/types';
import { truncate } from '../../src/util/text';

/** Translates a key under the calling node's type namespace (RED._ bound to that node file). */
export type Translate = (key: string, substitutions?: Record<string, string>) => string;

const MAX_REASON_CHARS = 80;

/** The first line of a text, cut to `maxChars` (a status dot has little room). */
export function firstLine(text: string, maxChars: number): string {
  return truncate(text.split('\n')[0] ?? '', maxChars);
}

/**
 * Status text has little room: DingTalk's code and HTTP status when the error carries them (the full explanation is in
 * the log), else the first line of the message, shortened.
 */
export function shortReason(error: Error | undefined): string {
  if (!error) return '';
  const { status, code } = error as Error & { status?: unknown; code?: unknown };
  if (typeof status === 'number' && status > 0) {
    return [typeof code === 'string' ? code : '', `HTTP ${status}`].filter(Boolean).join(', ');
  }
  return firstLine(error.message || error.name, MAX_REASON_CHARS);
}

/**
 * The status dot every node of an app shows for the app's Stream connection:
 * green connected, yellow on the way, red when DingTalk refused the credentials (with the reason).
 * `t` is the config node's translator, so all status texts live in the dingtalk-stream-app catalog.
 */
export function statusForStreamState(change: Pick<StateChange, 'state' | 'error'>, t: Translate): NodeStatus {
  const reason = shortReason(change.error);
  switch (change.state) {
    case 'idle':
      return { fill: 'yellow', shape: 'ring', text: t('dingtalk-stream-app.status.idle') };
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: t('dingtalk-stream-app.status.connecting') };
    case 'connected':
      return { fill: 'green', shape: 'dot', text: t('dingtalk-stream-app.status.connected') };
    case 'reconnecting':
      return reason
        ? { fill: 'yellow', shape: 'ring', text: t('dingtalk-stream-app.status.reconnectingReason', { reason }) }
        : { fill: 'yellow', shape: 'ring', text: t('dingtalk-stream-app.status.reconnecting') };
    case 'auth-failed':
      return { fill: 'red', shape: 'ring', text: t('dingtalk-stream-app.status.authFailed', { reason: reason || '?' }) };
    case 'closed':
      return {};
  }
}

/** Apps used only by action nodes open no connection: a neutral dot. */
export function readyStatus(t: Translate): NodeStatus {
  return { fill: 'grey', shape: 'dot', text: t('dingtalk-stream-app.status.ready') };
}

/** A red ring with a translated text, for configuration errors a node detects itself (no app, bad regex...). */
export function configErrorStatus(text: string): NodeStatus {
  return { fill: 'red', shape: 'ring', text };
}

/** The dots an action node shows for one message: in flight, done, done with a caveat, failed. */
export function busyStatus(text: string): NodeStatus {
  return { fill: 'blue', shape: 'dot', text };
}

export function doneStatus(text: string): NodeStatus {
  return { fill: 'green', shape: 'dot', text };
}

export function partialStatus(text: string): NodeStatus {
  return { fill: 'yellow', shape: 'dot', text };
}

export function failedStatus(text: string): NodeStatus {
  return { fill: 'red', shape: 'dot', text };
}
