import { randomUUID } from 'node:crypto';
import { hintFor } from '../dingtalk-says';
import { DingTalkError, LocalErrorCode, serverMessage } from './errors';
import type { OpenApiClient } from './http';
import {
  CardAnswerSchema,
  CreateAndDeliverCardInputSchema,
  CreateCardInputSchema,
  DeliverAnswerSchema,
  DeliverCardInputSchema,
  parseInput,
  StreamCardInputSchema,
  UpdateCardInputSchema,
  type CardAnswer,
  type CreateAndDeliverCardInput,
  type CreateCardInput,
  type DeliverCardInput,
  type DeliverResult,
  type StreamCardInput,
  type UpdateCardInput,
} from './schemas';

/** Interactive cards (高级版, template based) and AI-card streaming (docs/protocol.md §6.6–6.7). */

export const CARD_PATHS = {
  create: '/v1.0/card/instances',
  deliver: '/v1.0/card/instances/deliver',
  createAndDeliver: '/v1.0/card/instances/createAndDeliver',
  update: '/v1.0/card/instances',
  streaming: '/v1.0/card/streaming',
} as const;

export interface CardDeliverOutcome {
  outTrackId: string;
  deliverResults: DeliverResult[];
}

/** A fresh outTrackId: 32 hex characters, well under DingTalk's 64-character limit. */
export function newOutTrackId(): string {
  return randomUUID().replace(/-/g, '');
}

/** `dtv1.card//IM_GROUP.<conversationId>` for a group, `dtv1.card//IM_ROBOT.<userId>` for a 1:1 robot chat. */
export function openSpaceIdFor(target: { conversationId?: string; userId?: string }): string {
  if (target.conversationId !== undefined) return `dtv1.card//IM_GROUP.${target.conversationId}`;
  if (target.userId !== undefined) return `dtv1.card//IM_ROBOT.${target.userId}`;
  throw new TypeError('a card target needs conversationId or userId');
}

interface ParsedCreate {
  cardTemplateId: string;
  outTrackId?: string;
  cardData?: Record<string, string>;
  privateData?: Record<string, Record<string, string>>;
  callbackType: 'STREAM' | 'HTTP';
  callbackRouteKey?: string;
  userIdType: 1 | 2;
  imGroupOpenSpaceModel?: Record<string, unknown>;
  imRobotOpenSpaceModel?: Record<string, unknown>;
}

/**
 * The create part of a body. `callbackType` is STREAM unless told otherwise: a card created without it never
 * sends its button clicks to the Stream connection (a frequent "card clicks not received" report).
 */
function createBody(p: ParsedCreate, outTrackId: string, spaces: { group: boolean; robot: boolean }): Record<string, unknown> {
  const body: Record<string, unknown> = {
    cardTemplateId: p.cardTemplateId,
    outTrackId,
    cardData: { cardParamMap: p.cardData ?? {} },
    callbackType: p.callbackType,
    userIdType: p.userIdType,
  };
  if (p.callbackRouteKey) body['callbackRouteKey'] = p.callbackRouteKey;
  if (p.privateData) body['privateData'] = privateDataBody(p.privateData);
  if (spaces.group) body['imGroupOpenSpaceModel'] = p.imGroupOpenSpaceModel ?? { supportForward: true };
  if (spaces.robot) body['imRobotOpenSpaceModel'] = p.imRobotOpenSpaceModel ?? { supportForward: true };
  return body;
}

function privateDataBody(privateData: Record<string, Record<string, string>>): Record<string, { cardParamMap: Record<string, string> }> {
  const out: Record<string, { cardParamMap: Record<string, string> }> = {};
  for (const [userId, map] of Object.entries(privateData)) out[userId] = { cardParamMap: map };
  return out;
}

interface ParsedDeliver {
  robotCode: string;
  conversationId?: string;
  userId?: string;
  atUserIds?: Record<string, string>;
  recipients?: string[];
}

function deliverFields(p: ParsedDeliver): Record<string, unknown> {
  const fields: Record<string, unknown> = { openSpaceId: openSpaceIdFor(p) };
  if (p.conversationId !== undefined) {
    const model: Record<string, unknown> = { robotCode: p.robotCode };
    if (p.atUserIds) model['atUserIds'] = p.atUserIds;
    if (p.recipients) model['recipients'] = p.recipients;
    fields['imGroupOpenDeliverModel'] = model;
  } else {
    fields['imRobotOpenDeliverModel'] = { spaceType: 'IM_ROBOT', robotCode: p.robotCode };
  }
  return fields;
}

/** DingTalk answers 200 with `success: false` for some refusals; those are errors too. */
function requireSuccess(answer: CardAnswer, endpoint: string): void {
  if (answer.success === false) {
    const message = typeof answer['message'] === 'string' ? serverMessage(answer['message']) : 'DingTalk answered success: false';
    throw new DingTalkError({ status: 200, endpoint, message, hint: hintFor({ status: 200, message, endpoint }) });
  }
}

/** When every space refused the card, nothing was delivered: that is an error, with DingTalk's reasons. */
function checkDelivery(results: DeliverResult[], endpoint: string): void {
  if (results.length === 0 || results.some((r) => r.success !== false)) return;
  const reasons = serverMessage(results.map((r) => `${r.spaceType ?? 'space'} ${r.spaceId ?? ''}: ${r.errorMsg ?? 'refused'}`.trim()).join('; '));
  const code = results.find((r) => typeof r['errorCode'] === 'string')?.['errorCode'];
  throw new DingTalkError({
    status: 200,
    code: LocalErrorCode.DeliverFailed,
    endpoint,
    message: `the card was not delivered: ${reasons}`,
    detail: reasons,
    hint:
      hintFor({ status: 200, code: typeof code === 'string' ? code : undefined, message: reasons, endpoint }) ??
      'check that the robot is in the group (or the user has chatted with it) and that robotCode is right',
  });
}

function deliverResultsOf(result: unknown): DeliverResult[] {
  if (Array.isArray(result)) return result as DeliverResult[];
  if (typeof result === 'object' && result !== null) {
    const list = (result as { deliverResults?: unknown }).deliverResults;
    if (Array.isArray(list)) return list as DeliverResult[];
  }
  return [];
}

/** Creates a card instance (not yet shown anywhere). Returns the outTrackId, generated when not given. */
export async function createCard(api: OpenApiClient, input: CreateCardInput): Promise<{ outTrackId: string }> {
  const p = parseInput(CreateCardInputSchema, input, 'createCard', CARD_PATHS.create);
  const outTrackId = p.outTrackId ?? newOutTrackId();
  const answer = await api.call(
    { method: 'POST', path: CARD_PATHS.create, body: createBody(p, outTrackId, { group: true, robot: true }) },
    CardAnswerSchema,
  );
  requireSuccess(answer, CARD_PATHS.create);
  return { outTrackId };
}

/** Shows a created card in a group (conversationId) or in a user's 1:1 chat with the robot (userId). */
export async function deliverCard(api: OpenApiClient, input: DeliverCardInput): Promise<CardDeliverOutcome> {
  const p = parseInput(DeliverCardInputSchema, input, 'deliverCard', CARD_PATHS.deliver);
  const answer = await api.call(
    { method: 'POST', path: CARD_PATHS.deliver, body: { outTrackId: p.outTrackId, userIdType: p.userIdType, ...deliverFields(p) } },
    DeliverAnswerSchema,
  );
  if (answer.success === false) requireSuccess(answer, CARD_PATHS.deliver);
  const deliverResults = deliverResultsOf(answer.result);
  checkDelivery(deliverResults, CARD_PATHS.deliver);
  return { outTrackId: p.outTrackId, deliverResults };
}

/** Create + deliver in one call. */
export async function createAndDeliverCard(api: OpenApiClient, input: CreateAndDeliverCardInput): Promise<CardDeliverOutcome> {
  const p = parseInput(CreateAndDeliverCardInputSchema, input, 'createAndDeliverCard', CARD_PATHS.createAndDeliver);
  const outTrackId = p.outTrackId ?? newOutTrackId();
  const group = p.conversationId !== undefined;
  const body = { ...createBody(p, outTrackId, { group, robot: !group }), ...deliverFields(p) };
  const answer = await api.call({ method: 'POST', path: CARD_PATHS.createAndDeliver, body }, DeliverAnswerSchema);
  if (answer.success === false) requireSuccess(answer, CARD_PATHS.createAndDeliver);
  const deliverResults = deliverResultsOf(answer.result);
  checkDelivery(deliverResults, CARD_PATHS.createAndDeliver);
  return { outTrackId, deliverResults };
}

/**
 * Changes a card's data. By default only the given keys change (`updateCardDataByKey`); without it DingTalk
 * replaces the whole map and blanks every key not given.
 */
export async function updateCard(api: OpenApiClient, input: UpdateCardInput): Promise<void> {
  const p = parseInput(UpdateCardInputSchema, input, 'updateCard', CARD_PATHS.update);
  const body: Record<string, unknown> = {
    outTrackId: p.outTrackId,
    cardUpdateOptions: { updateCardDataByKey: p.updateByKey, updatePrivateDataByKey: p.updateByKey },
  };
  if (p.cardData) body['cardData'] = { cardParamMap: p.cardData };
  if (p.privateData) body['privateData'] = privateDataBody(p.privateData);
  if (p.userIdType !== undefined) body['userIdType'] = p.userIdType;
  const answer = await api.call({ method: 'PUT', path: CARD_PATHS.update, body }, CardAnswerSchema);
  requireSuccess(answer, CARD_PATHS.update);
}

/** One streaming update of an AI card variable ("typewriter"); see CardStreamer for the rate-limited loop. */
export async function streamCard(api: OpenApiClient, input: StreamCardInput): Promise<void> {
  const p = parseInput(StreamCardInputSchema, input, 'streamCard', CARD_PATHS.streaming);
  const body = {
    outTrackId: p.outTrackId,
    guid: p.guid ?? randomUUID(),
    key: p.key,
    content: p.content,
    isFull: p.isFull,
    isFinalize: p.isFinalize,
    isError: p.isError,
  };
  // A full replacement may be resent safely; an appended delta would be shown twice.
  const answer = await api.call({ method: 'PUT', path: CARD_PATHS.streaming, body, idempotent: p.isFull }, CardAnswerSchema);
  requireSuccess(answer, CARD_PATHS.streaming);
}
