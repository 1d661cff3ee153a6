import {
  CardCallbackResponseSchema,
  CardCallbackSchema,
  InboundFrameCheck,
  RobotMessageCheck,
  SYSTEM_TOPIC_DISCONNECT,
  SYSTEM_TOPIC_PING,
  TOPIC_CARD_CALLBACK,
  TOPIC_ROBOT_MESSAGE,
  type EventAckStatus,
  type FrameHeaders,
  type InboundFrame,
  type RobotMessage,
  type Subscription,
  isValid,
} from './frames';
import { EMPTY_CALLBACK_ACK_DATA, callbackAckData, encodeAck, encodeRobotAck, eventAckData } from './acks';
import { type ClaimGate, SHARED_ANSWER_MAX_BYTES } from './claims';
import { DedupeWindow } from './dedupe';
import type {
  CallbackOptions,
  CardCallbackHandler,
  EventHandler,
  GenericCallbackHandler,
  Push,
  RobotMessageHandler,
  StreamStats,
  Unsubscribe,
} from './types';
import { truncate } from '../util/text';
import { describeThrown } from '../util/thrown';
import type { Clock } from '../util/runtime';

/** Where an ack goes: the socket that delivered the frame (docs/protocol.md §3.1). */
export interface AckTarget {
  send(text: string): boolean;
}

/** What the router needs from its owner; `T` is the owner's socket type, handed back as given to `handle()`. */
export interface RouterHost<T extends AckTarget = AckTarget> {
  readonly stats: StreamStats;
  /** A problem worth telling the user about; `kind` groups repeats so they can be rate-limited. */
  warn(kind: string, message: string): void;
  /** DingTalk announced it will close this socket (SYSTEM disconnect). */
  onServerDisconnect(target: T): void;
  /** The last held-back ack of this socket went out (a retiring socket may close now). */
  onAcksSettled(target: T): void;
}

export interface RouterOptions {
  clock: Clock;
  callbackDeadlineMs: number;
  dedupeTtlMs: number;
  dedupeMaxEntries: number;
  /**
   * Shared claims across instances of the app (ADR 0016). Absent: the local dedupe window alone decides, synchronously,
   * exactly as with one instance.
   */
  claims?: ClaimGate;
  /** How long an event's claim is held while its flow runs; it expires sooner than DingTalk's re-push (ADR 0016). */
  claimLeaseMs?: number;
}

/** A result still being worked out, shared with duplicates that arrive meanwhile so they ack the same. */
interface Outcome<T> {
  /** The ack's `data` once known. */
  data: string | undefined;
  code: number;
  waiters: Array<{ target: T; messageId: string }> | undefined;
}

interface Entry<F> {
  fn: F;
  /** Generic callbacks only: how long this subscriber may take before the router answers for it. */
  deadlineMs?: number;
}

const INVALID = Symbol('invalid');

/**
 * How often an instance that got the re-push of a click another instance is still answering looks for that answer: a
 * GET each time, only for such duplicates, within the 1.5 s callback deadline.
 */
const SHARED_ANSWER_POLL_MS = 50;

/**
 * Frame in, handlers called, ack out. Validates each frame once (envelope with zod, `data` parsed once), dedupes, and
 * decides each ack as ADR 0003 says. Everything that can go wrong with one frame becomes a warning and, when the
 * frame has a messageId, an error ack: one bad frame must never stop the next from flowing.
 */
export class FrameRouter<T extends AckTarget = AckTarget> {
  private readonly robot = new Set<Entry<RobotMessageHandler>>();
  private readonly events = new Set<Entry<EventHandler>>();
  private readonly cards = new Set<Entry<CardCallbackHandler>>();
  private readonly callbacks = new Map<string, Set<Entry<GenericCallbackHandler>>>();
  private readonly seenEvents: DedupeWindow<Outcome<T>>;
  private readonly seenRobot: DedupeWindow<true>;
  private readonly seenCallbacks: DedupeWindow<Outcome<T>>;
  private readonly deadlines = new Set<NodeJS.Timeout>();
  /**
   * Per socket, the frames whose ack is still being worked out (events and callbacks awaiting their handlers, duplicates
   * awaiting the original): a replaced socket must stay open until these are out. No entry means none.
   */
  private readonly held = new Map<T, number>();
  /** Set on close: a look for a shared answer still on its way to the store must not schedule another. */
  private disposed = false;

  constructor(
    private readonly options: RouterOptions,
    private readonly host: RouterHost<T>,
  ) {
    const window = { ttlMs: options.dedupeTtlMs, maxEntries: options.dedupeMaxEntries, clock: options.clock };
    this.seenEvents = new DedupeWindow(window);
    this.seenRobot = new DedupeWindow(window);
    this.seenCallbacks = new DedupeWindow(window);
  }

  onRobotMessage(fn: RobotMessageHandler): Unsubscribe {
    return add(this.robot, fn);
  }

  onEvent(fn: EventHandler): Unsubscribe {
    return add(this.events, fn);
  }

  onCardCallback(fn: CardCallbackHandler): Unsubscribe {
    return add(this.cards, fn);
  }

  onCallback(topic: string, fn: GenericCallbackHandler, options: CallbackOptions = {}): Unsubscribe {
    let set = this.callbacks.get(topic);
    if (set === undefined) this.callbacks.set(topic, (set = new Set()));
    const remove = add(set, fn, options.deadlineMs);
    return () => {
      remove();
      if (set.size === 0 && this.callbacks.get(topic) === set) this.callbacks.delete(topic);
    };
  }

  /** What to ask the gateway for, derived from who is listening (the gateway needs at least one entry). */
  subscriptions(): Subscription[] {
    const subs: Subscription[] = [];
    // EVENT only supports "*": which events arrive is chosen in the developer console (docs/protocol.md §1.1).
    if (this.events.size > 0) subs.push({ type: 'EVENT', topic: '*' });
    if (this.robot.size > 0 || this.callbacks.has(TOPIC_ROBOT_MESSAGE)) subs.push({ type: 'CALLBACK', topic: TOPIC_ROBOT_MESSAGE });
    if (this.cards.size > 0 || this.callbacks.has(TOPIC_CARD_CALLBACK)) subs.push({ type: 'CALLBACK', topic: TOPIC_CARD_CALLBACK });
    for (const topic of [...this.callbacks.keys()].sort()) {
      if (topic !== TOPIC_ROBOT_MESSAGE && topic !== TOPIC_CARD_CALLBACK) subs.push({ type: 'CALLBACK', topic });
    }
    return subs;
  }

  /** How many acks for frames that arrived on `target` are still held back. */
  pendingAcks(target: T): number {
    return this.held.get(target) ?? 0;
  }

  /** Cancels callback deadlines still running (on close), so nothing keeps the process alive. */
  dispose(): void {
    this.disposed = true;
    for (const timer of this.deadlines) this.options.clock.clearTimeout(timer);
    this.deadlines.clear();
  }

  handle(target: T, text: string): void {
    const { stats } = this.host;
    stats.framesIn += 1;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      stats.malformedFrames += 1;
      this.host.warn('malformed-json', 'Received a Stream frame that is not JSON; ignored.');
      return;
    }
    // zod checks the envelope; the parsed object itself is used (not zod's copy), so unknown header keys stay as sent.
    if (!isValid(InboundFrameCheck, raw)) return this.onInvalidEnvelope(target, raw);
    const frame: InboundFrame = raw;
    switch (frame.type) {
      case 'CALLBACK':
        return this.onCallbackFrame(target, frame);
      case 'EVENT':
        return this.onEventFrame(target, frame);
      case 'SYSTEM':
        return this.onSystemFrame(target, frame);
      default:
        this.host.warn('unknown-type', `Received a Stream frame of unknown type "${short(frame.type)}"; answered 404.`);
        this.send(target, encodeAck(frame.headers.messageId, '{}', 404, 'unknown frame type'));
    }
  }

  private onInvalidEnvelope(target: T, raw: unknown): void {
    const envelope = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown; headers?: unknown }) : {};
    // Unknown or unusual SYSTEM frames (KEEPALIVE, REGISTERED...) may come without a messageId: they only mean "alive".
    // A disconnect without one (as in DingTalk's protocol example, docs/protocol.md §2.2-e) still means "rotate now":
    // there is nothing to ack, but waiting for the server to close the socket would leave a gap.
    if (envelope.type === 'SYSTEM') {
      const headers = typeof envelope.headers === 'object' && envelope.headers !== null ? (envelope.headers as { topic?: unknown }) : {};
      if (headers.topic === SYSTEM_TOPIC_DISCONNECT) this.host.onServerDisconnect(target);
      return;
    }
    this.host.stats.malformedFrames += 1;
    this.host.warn('malformed-frame', 'Received a Stream frame without the expected type/headers/data; answered 400.');
    const headers = typeof envelope.headers === 'object' && envelope.headers !== null ? (envelope.headers as { messageId?: unknown }) : {};
    if (typeof headers.messageId === 'string' && headers.messageId !== '') {
      this.send(target, encodeAck(headers.messageId, '{}', 400, 'malformed frame'));
    }
  }

  private onSystemFrame(target: T, frame: InboundFrame): void {
    const { topic, messageId } = frame.headers;
    if (topic === SYSTEM_TOPIC_PING) {
      this.host.stats.lastPingAt = this.options.clock.now();
      // The opaque id is echoed back untouched: copying `data` verbatim is exactly that (docs/protocol.md §3.2).
      this.send(target, encodeAck(messageId, frame.data));
    } else if (topic === SYSTEM_TOPIC_DISCONNECT) {
      // Not required by the server, harmless, and it tells DingTalk we heard it (Go/Python SDKs do the same).
      this.send(target, encodeAck(messageId, frame.data));
      this.host.onServerDisconnect(target);
    }
    // Any other SYSTEM topic only proves the socket is alive, which the connection already noted.
  }

  /** Parses `data` (once); on failure acks 400 and returns INVALID. */
  private parseData(target: T, frame: InboundFrame, what: string): unknown {
    try {
      return JSON.parse(frame.data);
    } catch {
      return this.rejectData(target, frame.headers.messageId, what, 'is not JSON');
    }
  }

  private rejectData(target: T, messageId: string, what: string, problem: string): typeof INVALID {
    this.host.stats.malformedFrames += 1;
    this.host.warn(`malformed-data:${what}`, `Received ${article(what)} ${what} whose data ${problem}; answered 400.`);
    this.send(target, encodeAck(messageId, '{}', 400, 'malformed data'));
    return INVALID;
  }

  private onEventFrame(target: T, frame: InboundFrame): void {
    const headers = frame.headers;
    if (this.events.size === 0) return this.unhandled(target, headers, `event "${short(headers.eventType ?? '')}"`);
    // A re-push is a new delivery with a new messageId; the eventId is what stays the same (ADR 0002).
    const key = headers.eventId || headers.messageId;
    const seen = this.seenEvents.get(key);
    if (seen !== undefined) return this.replay(target, headers.messageId, seen);
    const data = this.parseData(target, frame, 'event');
    if (data === INVALID) return;
    if (!isJsonObject(data)) {
      this.rejectData(target, headers.messageId, 'event', 'is not a JSON object');
      return;
    }
    const outcome: Outcome<T> = { data: undefined, code: 200, waiters: undefined };
    this.seenEvents.set(key, outcome);
    const push: Push<Record<string, unknown>> = { headers, data, raw: frame.data };
    const claims = this.options.claims;
    if (claims === undefined) return this.runEvent(target, key, outcome, push, undefined);
    const claimKey = `event:${key}`;
    this.hold(target);
    void claims.claim(claimKey, this.options.claimLeaseMs ?? this.options.dedupeTtlMs).then((result) => {
      if (result === 'done') {
        // Handled by another instance: ack it as that one did.
        this.host.stats.duplicatesDropped += 1;
        this.settle(target, headers.messageId, outcome, eventAckData('SUCCESS'), 200);
      } else if (result === 'busy') {
        // Another instance is running it: LATER makes DingTalk come back once that one has answered.
        this.host.stats.duplicatesDropped += 1;
        this.settleEvent(target, headers.messageId, key, outcome, 'LATER', undefined);
      } else {
        // 'unavailable' too: the store notes how our flow ended and tells Redis once it is back (ADR 0016).
        this.runEvent(target, key, outcome, push, claimKey);
      }
      this.release(target);
    });
  }

  /** Calls every event subscriber; `claimKey` is the shared claim to complete or release with the ack. */
  private runEvent(target: T, key: string, outcome: Outcome<T>, push: Push<Record<string, unknown>>, claimKey: string | undefined): void {
    const headers = push.headers;
    let later = false;
    let pending: Array<Promise<unknown>> | undefined;
    for (const { fn } of this.events) {
      try {
        const result = fn(push);
        if (result === 'LATER') later = true;
        else if (isPromise(result)) (pending ??= []).push(result);
      } catch (err) {
        later = true;
        this.handlerFailed('event', err);
      }
    }
    if (pending === undefined) return this.settleEvent(target, headers.messageId, key, outcome, later ? 'LATER' : 'SUCCESS', claimKey);
    this.hold(target);
    void Promise.allSettled(pending).then((results) => {
      for (const r of results) {
        if (r.status === 'rejected') {
          later = true;
          this.handlerFailed('event', r.reason);
        } else if (r.value === 'LATER') {
          later = true;
        }
      }
      this.settleEvent(target, headers.messageId, key, outcome, later ? 'LATER' : 'SUCCESS', claimKey);
      this.release(target);
    });
  }

  private settleEvent(target: T, messageId: string, key: string, outcome: Outcome<T>, status: EventAckStatus, claimKey: string | undefined): void {
    // LATER means "not done": forget the event so DingTalk's re-push of it is delivered again (ADR 0002), here or on
    // another instance (ADR 0016).
    if (status === 'LATER' && this.seenEvents.get(key) === outcome) this.seenEvents.delete(key);
    if (claimKey !== undefined) {
      if (status === 'LATER') this.options.claims?.release(claimKey);
      else this.options.claims?.complete(claimKey, this.options.dedupeTtlMs);
    }
    this.settle(target, messageId, outcome, eventAckData(status), 200);
  }

  private onCallbackFrame(target: T, frame: InboundFrame): void {
    const topic = frame.headers.topic;
    if (topic === TOPIC_ROBOT_MESSAGE && this.robot.size > 0) return this.onRobotFrame(target, frame);
    if (topic === TOPIC_CARD_CALLBACK && this.cards.size > 0) return this.onCardFrame(target, frame);
    const handlers = this.callbacks.get(topic);
    if (handlers === undefined || handlers.size === 0) return this.unhandled(target, frame.headers, `callback topic "${short(topic)}"`);
    const messageId = frame.headers.messageId;
    const seen = this.seenCallbacks.get(messageId);
    if (seen !== undefined) return this.replay(target, messageId, seen);
    const data = this.parseData(target, frame, `callback (${short(topic)})`);
    if (data === INVALID) return;
    const push: Push<unknown> = { headers: frame.headers, data, raw: frame.data };
    // A topic with its own deadline (AI assistant actions, ADR 0013) waits as long as its slowest subscriber allows.
    let deadlineMs = this.options.callbackDeadlineMs;
    for (const entry of handlers) if (entry.deadlineMs !== undefined) deadlineMs = Math.max(deadlineMs, entry.deadlineMs);
    this.collectAnswer(
      target,
      messageId,
      this.seenCallbacks,
      messageId,
      push,
      [...handlers].map((e) => e.fn),
      'null',
      (value) => callbackAckData(value),
      deadlineMs,
    );
  }

  private onRobotFrame(target: T, frame: InboundFrame): void {
    const messageId = frame.headers.messageId;
    const data = this.parseData(target, frame, 'robot message');
    if (data === INVALID) return;
    if (!isValid(RobotMessageCheck, data)) {
      this.rejectData(target, messageId, 'robot message', 'lacks msgtype/msgId/conversation fields');
      return;
    }
    const message: RobotMessage = data;
    // Acked before any flow runs: DingTalk re-pushes a robot message whose ack is not back within ~60 s, and flows
    // (LLM calls...) often take longer. Nothing the flow does could change this ack anyway (ADR 0003).
    this.send(target, encodeRobotAck(messageId));
    // A re-push of the same message has a new messageId but the same msgId (ADR 0002).
    const msgId = message.msgId;
    if (this.seenRobot.get(msgId) !== undefined) {
      this.host.stats.duplicatesDropped += 1;
      return;
    }
    this.seenRobot.set(msgId, true);
    const push = { headers: frame.headers, data: message, raw: frame.data };
    const claims = this.options.claims;
    if (claims === undefined) return this.runRobot(push);
    // Already acked, so nothing to wait for but the claim: held for the whole dedupe window.
    void claims.claim(`robot:${msgId}`, this.options.dedupeTtlMs).then((result) => {
      if (result === 'busy' || result === 'done') this.host.stats.duplicatesDropped += 1;
      else this.runRobot(push);
    });
  }

  private runRobot(push: Push<RobotMessage>): void {
    for (const { fn } of this.robot) {
      try {
        const result: unknown = fn(push);
        if (isPromise(result)) result.then(undefined, (err: unknown) => this.handlerFailed('robot message', err));
      } catch (err) {
        this.handlerFailed('robot message', err);
      }
    }
  }

  private onCardFrame(target: T, frame: InboundFrame): void {
    const messageId = frame.headers.messageId;
    // A re-push keeps its messageId; a second real click, even with the same data, is a new callback (ADR 0002).
    const seen = this.seenCallbacks.get(messageId);
    if (seen !== undefined) return this.replay(target, messageId, seen);
    const data = this.parseData(target, frame, 'card callback');
    if (data === INVALID) return;
    const callback = CardCallbackSchema.safeParse(data);
    if (!callback.success) {
      this.rejectData(target, messageId, 'card callback', 'lacks outTrackId');
      return;
    }
    const push = { headers: frame.headers, data: callback.data, raw: frame.data };
    this.collectAnswer(
      target,
      messageId,
      this.seenCallbacks,
      messageId,
      push,
      [...this.cards].map((e) => e.fn),
      '{}',
      (value) => {
        const answer = CardCallbackResponseSchema.safeParse(value);
        if (!answer.success) {
          this.host.warn(
            'bad-card-answer',
            'A card callback answer was not {cardData?, userPrivateData?, cardUpdateOptions?} with string cardParamMap ' +
              'values (privateData keyed by userId is not part of the answer: use userPrivateData for the user who clicked); ' +
              'the card was left unchanged.',
          );
          return EMPTY_CALLBACK_ACK_DATA;
        }
        return callbackAckData(answer.data);
      },
    );
  }

  /**
   * Card and other callbacks: the ack carries the answer. The first subscriber to produce one wins; if all of them
   * decline (undefined) or `callbackDeadlineMs` passes, the ack says "no change" so DingTalk is not left waiting.
   */
  private collectAnswer<P>(
    target: T,
    messageId: string,
    seen: DedupeWindow<Outcome<T>>,
    key: string,
    push: P,
    handlers: Array<(push: P) => unknown>,
    emptyResponse: string,
    encode: (value: unknown) => string,
    deadlineMs = this.options.callbackDeadlineMs,
  ): void {
    const emptyData = `{"response":${emptyResponse}}`;
    const outcome: Outcome<T> = { data: undefined, code: 200, waiters: undefined };
    seen.set(key, outcome);
    this.hold(target);
    let remaining = handlers.length;
    let timer: NodeJS.Timeout | undefined;
    /** The shared claim, once it is ours: the answer goes into it (ADR 0016). Never set without a store. */
    let sharedKey: string | undefined;
    const finish = (data: string, code = 200): void => {
      if (outcome.data !== undefined) return;
      if (timer !== undefined) {
        this.options.clock.clearTimeout(timer);
        this.deadlines.delete(timer);
      }
      this.settle(target, messageId, outcome, data, code);
      this.release(target);
      if (sharedKey !== undefined) this.shareAnswer(sharedKey, outcome);
    };
    const take = (value: unknown): void => {
      if (outcome.data !== undefined) {
        if (value !== undefined) {
          this.host.warn('late-answer', `A callback answer came after the ${deadlineMs} ms deadline (or after another answer) and was dropped.`);
        }
        return;
      }
      if (value === undefined) {
        remaining -= 1;
        if (remaining === 0) finish(emptyData);
        return;
      }
      let data: string;
      try {
        data = encode(value);
      } catch (err) {
        this.handlerFailed('callback', err);
        return finish('{}', 500);
      }
      finish(data);
    };
    const run = (): void => {
      for (const fn of handlers) {
        try {
          const result = fn(push);
          if (isPromise(result)) {
            result.then(take, (err: unknown) => {
              this.handlerFailed('callback', err);
              take(undefined);
            });
          } else {
            take(result);
          }
        } catch (err) {
          this.handlerFailed('callback', err);
          take(undefined);
        }
      }
      if (outcome.data === undefined && timer === undefined) arm();
    };
    const arm = (): void => {
      timer = this.options.clock.setTimeout(() => {
        this.deadlines.delete(timer!);
        timer = undefined;
        finish(emptyData);
      }, deadlineMs);
      this.deadlines.add(timer);
    };
    const claims = this.options.claims;
    if (claims === undefined) return run();
    // The deadline counts from the frame, claim wait included: DingTalk's 2 s do not wait for Redis.
    arm();
    // Held for the whole window: the answer went back in the ack, and a re-push means only that the ack was lost.
    const claimKey = `callback:${key}`;
    void claims.claim(claimKey, this.options.dedupeTtlMs).then((result) => {
      if (result === 'busy' || result === 'done') {
        if (outcome.data !== undefined) return;
        this.host.stats.duplicatesDropped += 1;
        return this.awaitSharedAnswer(claims, claimKey, outcome, finish, emptyData);
      }
      // 'unavailable' too: ours on local dedupe, and the store learns it once it is back.
      sharedKey = claimKey;
      // The deadline passed while the claim was asked: the "no change" already sent is the answer to share.
      if (outcome.data !== undefined) return this.shareAnswer(claimKey, outcome);
      run();
    });
  }

  /** Puts the ack's data into our callback claim, if small enough to share; a larger one stays "no change" elsewhere. */
  private shareAnswer(claimKey: string, outcome: Outcome<T>): void {
    const data = outcome.code === 200 ? outcome.data : undefined;
    if (data !== undefined && Buffer.byteLength(data) > SHARED_ANSWER_MAX_BYTES) {
      this.host.warn(
        'answer-not-shared',
        `A callback answer of ${Buffer.byteLength(data)} bytes is over the ${SHARED_ANSWER_MAX_BYTES / 1024} KiB shared with the other ` +
          'instances: if DingTalk re-pushes this callback to another instance, that one answers "no change". Keep card answers small.',
      );
      return this.options.claims?.complete(claimKey, this.options.dedupeTtlMs);
    }
    this.options.claims?.complete(claimKey, this.options.dedupeTtlMs, data);
  }

  /**
   * A callback another instance claimed: ack with the answer it shared, looking again every SHARED_ANSWER_POLL_MS while
   * it is still working it out. The callback deadline, armed from the frame, ends the wait with "no change".
   */
  private awaitSharedAnswer(claims: ClaimGate, claimKey: string, outcome: Outcome<T>, finish: (data: string) => void, emptyData: string): void {
    const look = (): void => {
      void claims.answer(claimKey).then((found) => {
        if (outcome.data !== undefined || this.disposed) return;
        if (found?.state === 'answered') return finish(found.data);
        if (found?.state === 'done' || found?.state === 'absent') return finish(emptyData);
        // Busy, or no answer from the store this time: look again until the deadline.
        const again = this.options.clock.setTimeout(() => {
          this.deadlines.delete(again);
          if (outcome.data === undefined) look();
        }, SHARED_ANSWER_POLL_MS);
        this.deadlines.add(again);
      });
    };
    look();
  }

  /** A duplicate: acked like the original (waiting for it if still in flight), never delivered again. */
  private replay(target: T, messageId: string, outcome: Outcome<T>): void {
    this.host.stats.duplicatesDropped += 1;
    if (outcome.data !== undefined) {
      this.send(target, encodeAck(messageId, outcome.data, outcome.code, outcome.code === 200 ? 'OK' : 'error'));
      return;
    }
    this.hold(target);
    (outcome.waiters ??= []).push({ target, messageId });
  }

  private settle(target: T, messageId: string, outcome: Outcome<T>, data: string, code: number): void {
    outcome.data = data;
    outcome.code = code;
    const message = code === 200 ? 'OK' : 'error';
    this.send(target, encodeAck(messageId, data, code, message));
    const waiters = outcome.waiters;
    if (waiters === undefined) return;
    outcome.waiters = undefined;
    for (const w of waiters) {
      this.send(w.target, encodeAck(w.messageId, data, code, message));
      this.release(w.target);
    }
  }

  private unhandled(target: T, headers: FrameHeaders, what: string): void {
    this.host.warn(`unhandled:${what}`, `Received ${article(what)} ${what} that nothing here subscribes to; answered 404.`);
    this.send(target, encodeAck(headers.messageId, '{}', 404, 'no handler'));
  }

  private handlerFailed(what: string, err: unknown): void {
    const message = describeThrown(err);
    this.host.warn(`handler-error:${what}`, `A ${what} subscriber failed: ${message}`);
  }

  private hold(target: T): void {
    this.held.set(target, (this.held.get(target) ?? 0) + 1);
  }

  private release(target: T): void {
    const left = (this.held.get(target) ?? 1) - 1;
    if (left > 0) {
      this.held.set(target, left);
      return;
    }
    // Deleted at zero, so the map never keeps a closed socket alive.
    this.held.delete(target);
    this.host.onAcksSettled(target);
  }

  private send(target: T, text: string): void {
    // A closed socket cannot carry the ack; DingTalk re-pushes the frame to a live one, where dedupe catches it.
    if (target.send(text)) this.host.stats.acksOut += 1;
  }
}

function add<F>(set: Set<Entry<F>>, fn: F, deadlineMs?: number): Unsubscribe {
  // A fresh entry per call, so subscribing the same function twice gives two independent subscriptions.
  const entry: Entry<F> = deadlineMs === undefined ? { fn } : { fn, deadlineMs };
  set.add(entry);
  return () => {
    set.delete(entry);
  };
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Names from the wire go into warnings; keep them short so a hostile frame cannot flood the log. */
function short(text: string): string {
  return truncate(text, 81);
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}
