import { dingError, ok, type SimReply } from './http-kit';
import { CardCreateSchema, CardDeliverSchema, CardStreamingSchema, CardUpdateSchema, describeIssue, type CardCallbackResponse } from './schemas';
import type { SentRecord, SimulatorApp } from './types';
import type { z } from 'zod';
import { DINGTALK } from '../contract';

export interface CardStream {
  content: string;
  guids: string[];
  updates: number;
  finalized: boolean;
  failed: boolean;
}

export interface CardDelivery {
  spaceType: string;
  spaceId: string;
  at: number;
}

/** A card instance as DingTalk would hold it; tests assert on this. */
export interface CardState {
  outTrackId: string;
  clientId: string;
  cardTemplateId: string;
  callbackType?: string;
  callbackRouteKey?: string;
  cardParamMap: Record<string, string>;
  /** userId -> that user's private cardParamMap. */
  privateData: Record<string, Record<string, string>>;
  /** Streamed content per template variable. */
  streams: Record<string, CardStream>;
  /** Space types the card was created with (IM_GROUP, IM_ROBOT, ...). */
  openSpaces: string[];
  deliveries: CardDelivery[];
  finalized: boolean;
  failed: boolean;
  createdAt: number;
  updatedAt: number;
  /** Number of changes (create counts as 1). */
  version: number;
  /** What the simulator ignored in answers to this card, and why (e.g. `privateData` in a card-callback answer). */
  notes: string[];
}

const SPACE_MODELS: Record<string, { open: string; deliver: string }> = {
  IM_GROUP: { open: 'imGroupOpenSpaceModel', deliver: 'imGroupOpenDeliverModel' },
  IM_ROBOT: { open: 'imRobotOpenSpaceModel', deliver: 'imRobotOpenDeliverModel' },
  IM_SINGLE: { open: 'imSingleOpenSpaceModel', deliver: 'imSingleOpenDeliverModel' },
  ONE_BOX: { open: 'topOpenSpaceModel', deliver: 'topOpenDeliverModel' },
};

/** `dtv1.card//IM_GROUP.cid...;IM_ROBOT.userId` -> [{spaceType, spaceId}] */
export function parseOpenSpaceId(openSpaceId: string): Array<{ spaceType: string; spaceId: string }> | undefined {
  const parts = openSpaceId
    .replace(/^dtv1\.card\/\//, '')
    .split(';')
    .filter(Boolean);
  const spaces = parts.map((part) => {
    const dot = part.indexOf('.');
    return { spaceType: part.slice(0, dot), spaceId: part.slice(dot + 1) };
  });
  if (!openSpaceId.startsWith('dtv1.card//') || spaces.length === 0) return undefined;
  if (spaces.some((s) => !s.spaceId || !SPACE_MODELS[s.spaceType])) return undefined;
  return spaces;
}

function mergeMap(current: Record<string, string>, update: Record<string, string>, byKey: boolean): Record<string, string> {
  return byKey ? { ...current, ...update } : { ...update };
}

type Body = Record<string, unknown>;
type CreateBody = z.infer<typeof CardCreateSchema>;
type CardUpdate = z.infer<typeof CardUpdateSchema>;

function invalid(error: z.ZodError): SimReply {
  return dingError(400, 'invalidParameter', `Invalid parameter: ${describeIssue(error)}`);
}

function notFound(outTrackId: string): SimReply {
  return dingError(400, 'param.cardNotExist', `card instance not found for outTrackId ${outTrackId}; create it with POST /v1.0/card/instances first`);
}

/**
 * An outTrackId names one card for good: creating it again is refused. DingTalk's "创建卡片"
 * (interface-for-creating-a-card-instance) and "创建并投放卡片" (create-and-deliver-cards) pages list HTTP 400
 * `param.cardAlreadyExist` / `param.cardAlreadyExist` ("卡片已经存在"), and say a new cardTemplateId or cardData needs a
 * new outTrackId, "否则更改不会生效" (otherwise the change has no effect). Whether createAndDeliver refuses or silently
 * keeps the old card is UNCONFIRMED; both lose the new data, and the refusal is the one a test can see.
 */
function alreadyExists(): SimReply {
  return dingError(400, 'param.cardAlreadyExist', 'param.cardAlreadyExist');
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * `PUT /v1.0/card/streaming` refusals as DingTalk's "AI卡片流式更新" page (api-streamingupdate) lists them, all HTTP 400
 * with these codes and messages. `isFull` is documented as optional (default false) yet the same table has
 * `param.stream.isFull` "streaming update the parameter isFull is null": which one holds is UNCONFIRMED, so the
 * simulator refuses a missing isFull and clients always send it.
 */
function streamingFieldProblem(body: unknown): SimReply | undefined {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const empty = (v: unknown): boolean => v === undefined || v === null || v === '';
  if (empty(b['key'])) return dingError(400, 'param.stream.keyEmpty', 'param.stream.keyEmpty');
  if (empty(b['content'])) return dingError(400, 'param.stream.contentEmpty', 'param.stream.contentEmpty');
  if (empty(b['guid'])) return dingError(400, 'param.stream.guidEmpty', 'param.stream.guidEmpty');
  if (b['isFull'] === undefined || b['isFull'] === null)
    return dingError(400, 'param.stream.isFull', 'streaming update the parameter isFull is null');
  return undefined;
}

/** Same page: "内容 size 单次不要超过 1 K，总大小建议不要超过 3 K", refused as `param.stream.content` (src/contract.ts). */
function contentTooLarge(): SimReply {
  return dingError(400, 'param.stream.content', 'content is too large');
}

/** Card instances and the /v1.0/card/* endpoints. */
export class CardStore {
  readonly cards = new Map<string, CardState>();

  constructor(private readonly recordSent: (record: Omit<SentRecord, 'at'>) => void) {}

  get(outTrackId: string): CardState | undefined {
    return this.cards.get(outTrackId);
  }

  private createCard(app: Required<SimulatorApp>, body: CreateBody): CardState {
    const now = Date.now();
    const raw = body as Body;
    const privateData: Record<string, Record<string, string>> = {};
    for (const [user, data] of Object.entries(body.privateData ?? {})) privateData[user] = { ...data.cardParamMap };
    const card: CardState = {
      outTrackId: body.outTrackId,
      clientId: app.clientId,
      cardTemplateId: body.cardTemplateId,
      callbackType: body.callbackType,
      callbackRouteKey: body.callbackRouteKey,
      cardParamMap: { ...body.cardData.cardParamMap },
      privateData,
      streams: {},
      openSpaces: Object.entries(SPACE_MODELS)
        .filter(([, models]) => raw[models.open] !== undefined)
        .map(([type]) => type),
      deliveries: [],
      finalized: false,
      failed: false,
      createdAt: now,
      updatedAt: now,
      version: 1,
      notes: [],
    };
    this.cards.set(card.outTrackId, card);
    return card;
  }

  private deliverCard(app: Required<SimulatorApp>, card: CardState, body: Body, openSpaceId: string): SimReply | CardDelivery[] {
    const spaces = parseOpenSpaceId(openSpaceId);
    if (!spaces) {
      return dingError(
        400,
        'invalidParameter.openSpaceId',
        `openSpaceId "${openSpaceId}" is not of the form dtv1.card//<IM_GROUP|IM_ROBOT|IM_SINGLE|ONE_BOX>.<id>`,
      );
    }
    for (const space of spaces) {
      const models = SPACE_MODELS[space.spaceType]!;
      if (!card.openSpaces.includes(space.spaceType) || body[models.deliver] === undefined) {
        return dingError(
          400,
          'invalidParameter.spaces',
          `spaces of card is empty: ${space.spaceType} needs ${models.open} when creating and ${models.deliver} when delivering`,
        );
      }
      const robotCode = (body[models.deliver] as { robotCode?: unknown }).robotCode;
      if (typeof robotCode === 'string' && robotCode !== app.robotCode) {
        return dingError(400, 'invalidParameter.robotCode.auth', `robotCode ${robotCode} does not belong to this app`);
      }
    }
    const deliveries = spaces.map((s) => ({ ...s, at: Date.now() }));
    card.deliveries.push(...deliveries);
    return deliveries;
  }

  create(app: Required<SimulatorApp>, bodyIn: unknown): SimReply {
    const parsed = CardCreateSchema.safeParse(bodyIn);
    if (!parsed.success) return invalid(parsed.error);
    if (this.cards.has(parsed.data.outTrackId)) return alreadyExists();
    const card = this.createCard(app, parsed.data);
    this.recordSent({ kind: 'card', action: 'create', clientId: app.clientId, outTrackId: card.outTrackId, body: bodyIn });
    return ok({ success: true, result: card.outTrackId });
  }

  deliver(app: Required<SimulatorApp>, bodyIn: unknown): SimReply {
    const parsed = CardDeliverSchema.safeParse(bodyIn);
    if (!parsed.success) return invalid(parsed.error);
    const card = this.cards.get(parsed.data.outTrackId);
    if (!card) return notFound(parsed.data.outTrackId);
    const result = this.deliverCard(app, card, parsed.data as Body, parsed.data.openSpaceId);
    if (!Array.isArray(result)) return result;
    this.recordSent({ kind: 'card', action: 'deliver', clientId: app.clientId, outTrackId: card.outTrackId, body: bodyIn });
    return ok({ success: true, result: result.map((d) => deliverResult(d)) });
  }

  createAndDeliver(app: Required<SimulatorApp>, bodyIn: unknown): SimReply {
    const created = CardCreateSchema.safeParse(bodyIn);
    if (!created.success) return invalid(created.error);
    const delivery = CardDeliverSchema.safeParse(bodyIn);
    if (!delivery.success) return invalid(delivery.error);
    if (this.cards.has(created.data.outTrackId)) return alreadyExists();
    const card = this.createCard(app, created.data);
    const result = this.deliverCard(app, card, delivery.data as Body, delivery.data.openSpaceId);
    if (!Array.isArray(result)) {
      this.cards.delete(card.outTrackId);
      return result;
    }
    this.recordSent({ kind: 'card', action: 'createAndDeliver', clientId: app.clientId, outTrackId: card.outTrackId, body: bodyIn });
    return ok({ success: true, result: { outTrackId: card.outTrackId, deliverResults: result.map((d) => deliverResult(d)) } });
  }

  /** PUT /v1.0/card/instances/spaces: opens more space types for an existing card. */
  addSpaces(_app: Required<SimulatorApp>, bodyIn: unknown): SimReply {
    const outTrackId = (bodyIn as { outTrackId?: unknown } | undefined)?.outTrackId;
    if (typeof outTrackId !== 'string' || !outTrackId) return dingError(400, 'invalidParameter', 'Invalid parameter: outTrackId: required');
    const card = this.cards.get(outTrackId);
    if (!card) return notFound(outTrackId);
    for (const [type, models] of Object.entries(SPACE_MODELS)) {
      if ((bodyIn as Body)[models.open] !== undefined && !card.openSpaces.includes(type)) card.openSpaces.push(type);
    }
    card.updatedAt = Date.now();
    return ok({ success: true, result: true });
  }

  update(app: Required<SimulatorApp>, bodyIn: unknown): SimReply {
    const parsed = CardUpdateSchema.safeParse(bodyIn);
    if (!parsed.success) return invalid(parsed.error);
    const card = this.cards.get(parsed.data.outTrackId);
    if (!card) return notFound(parsed.data.outTrackId);
    this.applyUpdate(card, parsed.data);
    this.recordSent({ kind: 'card', action: 'update', clientId: app.clientId, outTrackId: card.outTrackId, body: bodyIn });
    return ok({ success: true, result: true });
  }

  streaming(app: Required<SimulatorApp>, bodyIn: unknown): SimReply {
    const missing = streamingFieldProblem(bodyIn);
    if (missing) return missing;
    const parsed = CardStreamingSchema.safeParse(bodyIn);
    if (!parsed.success) return invalid(parsed.error);
    const body = parsed.data;
    const card = this.cards.get(body.outTrackId);
    if (!card) return dingError(400, 'param.stream.outTrackId', 'card is not exist');
    const stream = card.streams[body.key] ?? { content: '', guids: [], updates: 0, finalized: false, failed: false };
    if (stream.finalized) {
      return dingError(400, 'invalidParameter.streaming.finalized', `streaming of key "${body.key}" was already finalized`);
    }
    // 1 K bounds an appended piece, 3 K the variable's whole content; a full update is the whole content (ADR 0011).
    if (!body.isFull && utf8Bytes(body.content) > DINGTALK.cardStreamAppendBytes) return contentTooLarge();
    const next = body.isFull ? body.content : stream.content + body.content;
    if (utf8Bytes(next) > DINGTALK.cardStreamContentBytes) return contentTooLarge();
    card.streams[body.key] = stream;
    stream.content = next;
    stream.guids.push(body.guid);
    stream.updates += 1;
    if (body.isFinalize) stream.finalized = card.finalized = true;
    if (body.isError) stream.failed = card.failed = true;
    card.cardParamMap[body.key] = stream.content;
    card.version += 1;
    card.updatedAt = Date.now();
    this.recordSent({ kind: 'card', action: 'streaming', clientId: app.clientId, outTrackId: card.outTrackId, body: bodyIn });
    return ok({ success: true, result: true });
  }

  /**
   * Applies `PUT /v1.0/card/instances`: `privateData` is keyed by userId there. Without the ByKey options the maps
   * are replaced, which is what blanks fields in real life.
   */
  applyUpdate(card: CardState, update: CardUpdate): void {
    const privateByKey = update.cardUpdateOptions?.updatePrivateDataByKey === true;
    this.applyCardData(card, update);
    for (const [user, data] of Object.entries(update.privateData ?? {})) {
      card.privateData[user] = mergeMap(card.privateData[user] ?? {}, data.cardParamMap, privateByKey);
    }
    this.touch(card);
  }

  /**
   * Applies a card-callback answer. DingTalk's "事件回调" page (event-callback-card) documents only `cardData`,
   * `userPrivateData` (the clicking user's, "不需要以用户的 userId 为 key") and `cardUpdateOptions`; its card FAQ
   * (faq-card, "卡片回传请求事件返回的私有数据没生效") says private data in an answer takes effect only under
   * `userPrivateData`. So a `privateData` keyed by userId is ignored, and noted on the card so a test can see it.
   * Whether DingTalk then applies the rest of the answer or refuses all of it is UNCONFIRMED; we apply the rest.
   */
  applyCallbackAnswer(card: CardState, answer: CardCallbackResponse, userId: string | undefined): void {
    if (Object.hasOwn(answer, 'privateData')) {
      card.notes.push(
        'a card-callback answer carried privateData, which is not part of the documented answer (use userPrivateData for the clicking user); ignored',
      );
    }
    this.applyCardData(card, answer);
    if (answer.userPrivateData && userId) {
      const privateByKey = answer.cardUpdateOptions?.updatePrivateDataByKey === true;
      card.privateData[userId] = mergeMap(card.privateData[userId] ?? {}, answer.userPrivateData.cardParamMap, privateByKey);
    }
    this.touch(card);
  }

  private applyCardData(card: CardState, update: CardCallbackResponse | CardUpdate): void {
    const byKey = update.cardUpdateOptions?.updateCardDataByKey === true;
    if (update.cardData) card.cardParamMap = mergeMap(card.cardParamMap, update.cardData.cardParamMap, byKey);
  }

  private touch(card: CardState): void {
    card.version += 1;
    card.updatedAt = Date.now();
  }
}

function deliverResult(d: CardDelivery): Record<string, unknown> {
  return { spaceType: d.spaceType, spaceId: d.spaceId, success: true, errorMsg: '', carrierId: `carrier_${d.at.toString(36)}` };
}
