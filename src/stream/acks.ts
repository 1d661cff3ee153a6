import type { EventAckStatus } from './frames';

/**
 * Ack frames as ready-to-send text (docs/protocol.md §3). This is the per-frame hot path, so the envelope is written as a
 * template around two `JSON.stringify` calls instead of building an object and serialising it; the result is the
 * same text as `JSON.stringify(ackFrame(messageId, data, code, message))` (checked in test/stream/acks.test.ts).
 */
export function encodeAck(messageId: string, data: string, code = 200, message = 'OK'): string {
  return (
    `{"code":${code},"headers":{"contentType":"application/json","messageId":${JSON.stringify(messageId)}},` +
    `"message":${quote(message)},"data":${quote(data)}}`
  );
}

/** `JSON.stringify(text)`, looked up for the few texts sent with nearly every ack (filled below the constants). */
const QUOTED = new Map<string, string>();

function quote(text: string): string {
  return QUOTED.get(text) ?? JSON.stringify(text);
}

/** Robot messages: the server ignores the payload; `null` is what the protocol doc shows. */
export const ROBOT_ACK_DATA = '{"response":null}';
/** Card callback past its deadline, or no subscriber answer: "no change" (docs/protocol.md §3.4). */
export const EMPTY_CALLBACK_ACK_DATA = '{"response":{}}';

const EVENT_ACK_DATA: Record<EventAckStatus, string> = {
  SUCCESS: '{"status":"SUCCESS","message":"success"}',
  LATER: '{"status":"LATER","message":"later"}',
};

/**
 * The robot-message ack, sent for nearly every frame under load: `encodeAck(messageId, ROBOT_ACK_DATA)` with the
 * constant parts joined once, so building it is one `JSON.stringify` and two concatenations.
 */
const OK_ACK_HEAD = '{"code":200,"headers":{"contentType":"application/json","messageId":';
const ROBOT_ACK_TAIL = `},"message":"OK","data":${JSON.stringify(ROBOT_ACK_DATA)}}`;

export function encodeRobotAck(messageId: string): string {
  return OK_ACK_HEAD + JSON.stringify(messageId) + ROBOT_ACK_TAIL;
}

for (const text of ['OK', ROBOT_ACK_DATA, EMPTY_CALLBACK_ACK_DATA, EVENT_ACK_DATA.SUCCESS, EVENT_ACK_DATA.LATER])
  QUOTED.set(text, JSON.stringify(text));

export function eventAckData(status: EventAckStatus): string {
  return EVENT_ACK_DATA[status];
}

/** `{"response": value}`; undefined becomes null so the key is always present. Throws on unserialisable values. */
export function callbackAckData(response: unknown): string {
  const json = JSON.stringify(response === undefined ? null : response);
  return `{"response":${json === undefined ? 'null' : json}}`;
}
