import { ok, type Router } from './http-kit';
import type { DingTalkSimulator } from './index';
import type { StreamFrame } from './types';

/**
 * GET /sim/pushes: what the simulator pushed to the app (robot messages, events, card clicks), one entry per delivery,
 * for the playground page's chat and log. The simulator keeps no such list itself (tests use the handles), so this
 * listens to its `push` event. Bounded: the playground may run for days.
 */

const MAX_KEPT = 500;

export interface PushLogEntry {
  at: number;
  /** messageId of this delivery; acks carry the same one. */
  messageId: string;
  type: StreamFrame['type'];
  topic: string;
  eventType?: string;
  connectionId: string;
  data: unknown;
}

function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function registerPlaygroundApi(router: Router, sim: DingTalkSimulator): void {
  const log: PushLogEntry[] = [];
  sim.on('push', (frame, connection) => {
    log.push({
      at: Date.now(),
      messageId: frame.headers.messageId ?? '',
      type: frame.type,
      topic: frame.headers.topic ?? '',
      eventType: frame.headers.eventType,
      connectionId: connection.id,
      data: parseData(frame.data),
    });
    if (log.length > MAX_KEPT) log.splice(0, log.length - MAX_KEPT);
  });
  router.add('GET', '/sim/pushes', (req) => {
    const limit = Number(req.query.limit);
    return ok({ pushes: Number.isInteger(limit) && limit > 0 ? log.slice(-limit) : log });
  });
}
