import { randomBytes, randomUUID } from 'node:crypto';

/** Id shapes that look like DingTalk's, so clients that log or parse them see realistic values. */

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export function uuid(): string {
  return randomUUID();
}

let messageCounter = 0;

/** Stream messageId, e.g. `212b9d7c_165f_19bfa1a500a_1461def`. */
export function streamMessageId(now: number): string {
  messageCounter = (messageCounter + 1) % 0xffff;
  return `${hex(4)}_${messageCounter.toString(16)}_${now.toString(16)}_${hex(4).slice(0, 7)}`;
}

/** Encrypted-looking ids as found in robot messages. */
export function lwcpId(): string {
  return `$:LWCP_v1:$${randomBytes(24).toString('base64')}`;
}

export function conversationId(): string {
  return `cid${randomBytes(24).toString('base64')}`;
}

export function robotMsgId(): string {
  return `msg${randomBytes(18).toString('base64')}`;
}

export function downloadCode(): string {
  return `mIofN681${randomBytes(36).toString('base64url')}`;
}

export function eventId(): string {
  return hex(16);
}
