import { MsgInputError, checkId, idList, isNonEmptyString, sizeError } from './input-error';
import { INPUT_LIMITS } from './limits';
import type { RobotApiMessage } from '../api/messages';
import type { MediaToSend } from '../api/media';
import { buildRobotApiMessage, msgParamFrom, type SendType } from './outbound-message';
import { isMediaPayload, markdownPictureError, mediaInput } from './media-input';

export type SendTargetOption = '' | 'users' | 'group';

export interface SendNodeOptions {
  target: SendTargetOption;
  userIds: string;
  openConversationId: string;
  msgType: SendType;
  msgKey: string;
  msgParam: string;
  title: string;
}

export type SendTarget = { to: 'users'; userIds: string[] } | { to: 'group'; openConversationId: string };

const USERS_FORM = 'an array of userIds or a comma-separated string, e.g. "user1,user2"';

function usersTarget(nodeIds: string, msgIds: unknown): SendTarget {
  const fromNode = idList(nodeIds);
  const ids = fromNode ?? idList(msgIds, 'msg.userIds');
  const property = fromNode ? 'userIds (node)' : 'msg.userIds';
  if (!ids) {
    throw new MsgInputError('missingUserIds', 'msg.userIds', `No recipients: set the user ids in the node or msg.userIds as ${USERS_FORM}.`, {
      expected: USERS_FORM,
    });
  }
  if (ids.length > INPUT_LIMITS.userIds) {
    throw sizeError(property, ids.length, INPUT_LIMITS.userIds, 'items', 'Split the recipients over several messages.');
  }
  for (const id of ids) checkId(id, property, INPUT_LIMITS.idChars, 'Each entry must be one userId; check how the list is split.');
  return { to: 'users', userIds: ids };
}

function groupTarget(nodeId: string, msgId: unknown): SendTarget {
  const id = isNonEmptyString(nodeId) ? nodeId.trim() : isNonEmptyString(msgId) ? msgId.trim() : undefined;
  if (id)
    checkId(
      id,
      isNonEmptyString(nodeId) ? 'openConversationId (node)' : 'msg.openConversationId',
      INPUT_LIMITS.idChars,
      'Expected one openConversationId (cid...).',
    );
  if (!id) {
    throw new MsgInputError(
      'missingConversation',
      'msg.openConversationId',
      'No group: set the openConversationId in the node or msg.openConversationId (the conversationId of a group message, cid...).',
    );
  }
  return { to: 'group', openConversationId: id };
}

/** Node target first; with none set in the node, msg.userIds sends to users and msg.openConversationId to a group. */
export function sendTarget(opts: SendNodeOptions, msg: Record<string, unknown>): SendTarget {
  if (opts.target === 'users') return usersTarget(opts.userIds, msg['userIds']);
  if (opts.target === 'group') return groupTarget(opts.openConversationId, msg['openConversationId']);
  if (msg['userIds'] !== undefined) return usersTarget('', msg['userIds']);
  if (msg['openConversationId'] !== undefined) return groupTarget('', msg['openConversationId']);
  throw new MsgInputError(
    'missingTarget',
    'msg.userIds',
    `No recipient: choose users or a group in the node, or set msg.userIds (${USERS_FORM}) or msg.openConversationId.`,
  );
}

/** msg.msgKey + msg.msgParam win; then the node's custom msgKey; then msg.payload shaped by the node's message type. */
export function sendMessage(opts: SendNodeOptions, msg: Record<string, unknown>): RobotApiMessage {
  if (isNonEmptyString(msg['msgKey'])) {
    checkId(msg['msgKey'].trim(), 'msg.msgKey', INPUT_LIMITS.idChars, 'Expected a msgKey such as sampleText.');
    return { msgKey: msg['msgKey'].trim(), msgParam: msgParamFrom(msg['msgParam'] ?? {}, 'msg.msgParam') };
  }
  if (opts.msgType === 'custom') {
    if (!isNonEmptyString(opts.msgKey)) {
      throw new MsgInputError('missingMsgKey', 'msg.msgKey', 'Message type "msgKey" needs a msgKey in the node or msg.msgKey (e.g. sampleText).');
    }
    const param =
      msg['msgParam'] !== undefined ? msgParamFrom(msg['msgParam'], 'msg.msgParam') : msgParamFrom(opts.msgParam || '{}', 'msgParam (node)');
    return { msgKey: opts.msgKey.trim(), msgParam: param };
  }
  const title = isNonEmptyString(msg['title']) ? msg['title'] : opts.title || undefined;
  return buildRobotApiMessage(opts.msgType, msg['payload'], title ? { title } : {});
}

/**
 * msg.payload as a Buffer -> the file to upload and send, for the types that send files (automatic: by name or
 * content; picture, file, voice, video: forced). Undefined when the msg says what to send some other way.
 */
export function sendMedia(opts: SendNodeOptions, msg: Record<string, unknown>): MediaToSend | undefined {
  if (isNonEmptyString(msg['msgKey']) || opts.msgType === 'custom' || !isMediaPayload(msg['payload'])) return undefined;
  switch (opts.msgType) {
    case 'auto':
      return mediaInput(msg);
    case 'image':
    case 'file':
    case 'voice':
    case 'video':
      return mediaInput(msg, opts.msgType);
    case 'markdown':
      throw markdownPictureError();
    default:
      return undefined;
  }
}
