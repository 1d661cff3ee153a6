import type { Clock, Logger } from '../util/runtime';
import { silentLogger } from '../util/runtime';
import { CARD_PATHS, streamCard } from './card';
import { isCardTextTooLarge } from '../dingtalk-says';
import { DingTalkError, closedError } from './errors';
import type { OpenApiClient } from './http';
import type { StreamCardInput } from './schemas';
import { isBlank, prefixWithinBytes, utf8Bytes, withCutMarker } from './stream-text';
import { DINGTALK } from '../contract';
import { describeThrown } from '../util/thrown';

export interface CardStreamerOptions {
  outTrackId: string;
  /** The AI card's template variable that receives the text (markdown variables need the whole text each time). */
  key: string;
  /**
   * At most one update per this many ms. Default 300: several cards streaming at once must stay under
   * DingTalk's ~20 requests per second per app and API.
   */
  intervalMs?: number;
  /** Default: the API client's clock. */
  clock?: Clock;
  logger?: Logger;
  /** Told about a failed intermediate update (after the client's own retries). Further updates stop; finish() still tries. */
  onError?: (error: DingTalkError) => void;
  /** Sends one update; default `streamCard(api, …)`. Replaceable for tests and custom transports. */
  send?: (input: StreamCardInput) => Promise<void>;
  /** Most UTF-8 bytes one update may carry; default DingTalk's documented total for a streamed variable (src/contract.ts). */
  maxContentBytes?: number;
  /** Shown after the "…" of a text that did not fit. */
  truncatedNote?: string;
  /** Sent when the stream ends without any text: DingTalk refuses an empty update and the card would stay "typing". */
  emptyText?: string;
  /** Told once when the text outgrew the card: the card was finished with the part that fits (ADR 0011). */
  onTruncated?: (info: { shownText: string; totalChars: number; limitBytes: number }) => void;
}

type State = 'streaming' | 'ending' | 'done' | 'closed';

/** What the last update is made of; composed again, shorter, when DingTalk refuses its size. */
interface FinalParts {
  isError: boolean;
  text: string;
  errorText: string;
  /** The card is finished before the text was: the cut marker is shown even when the text so far fits. */
  cut: boolean;
}

export const DEFAULT_TRUNCATED_NOTE = '(The answer is too long for one card; the rest is not shown.)';
export const DEFAULT_EMPTY_TEXT = '(no answer)';

/** DingTalk's documented answer to an oversized streaming update (src/contract.ts). */
function isContentTooLarge(err: unknown): boolean {
  return err instanceof DingTalkError && isCardTextTooLarge(err.code, err.detail);
}

/**
 * The "typewriter" AI card: text arrives in small chunks (LLM tokens), DingTalk gets the whole text so far at a
 * bounded rate. Always `isFull: true` (replace), so a lost or repeated update never garbles the text, and one
 * request at a time, so updates cannot overtake each other.
 *
 * Never leaves a card "typing": a text that outgrows what one card takes ends the card at once with the part that
 * fits, a visible "…" and a note (ADR 0011); the rest is still collected in `text` for the flow. No update is ever
 * empty: DingTalk refuses those (`param.stream.contentEmpty`), which would also leave the card typing.
 */
export class CardStreamer {
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly send: (input: StreamCardInput) => Promise<void>;
  private limitBytes: number;
  private buffer = '';
  /** UTF-8 size of `buffer` while it may still be sent whole. */
  private bufferBytes = 0;
  /** Text of the last update sent (or in flight); no request when nothing changed since. */
  private sentText: string | undefined;
  private lastSendAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failure: DingTalkError | undefined;
  private state: State = 'streaming';
  private ending: Promise<void> | undefined;
  private wakeEnd: (() => void) | undefined;
  private requests = 0;
  private cutShort = false;
  private truncationReported = false;

  constructor(
    api: OpenApiClient,
    private readonly opts: CardStreamerOptions,
  ) {
    this.intervalMs = opts.intervalMs ?? 300;
    this.clock = opts.clock ?? api.clock;
    this.logger = opts.logger ?? silentLogger;
    this.send = opts.send ?? ((input) => streamCard(api, input));
    this.limitBytes = opts.maxContentBytes ?? DINGTALK.cardStreamContentBytes;
  }

  /** Everything appended so far, also what did not fit in the card. */
  get text(): string {
    return this.buffer;
  }

  /** What the card shows (the last update sent). */
  get shownText(): string {
    return this.sentText ?? '';
  }

  /** True when the card was finished with only the start of the text. */
  get truncated(): boolean {
    return this.cutShort;
  }

  /** Updates sent so far (for status displays and tests). */
  get requestCount(): number {
    return this.requests;
  }

  append(chunk: string): void {
    if (this.state === 'closed') throw new Error('CardStreamer: append() after close()');
    if (this.cutShort) {
      // The card already ends with "…": the rest is kept for the flow, not sent.
      this.buffer += chunk;
      return;
    }
    if (this.state !== 'streaming') throw new Error('CardStreamer: append() after finish()/fail()');
    this.buffer += chunk;
    this.bufferBytes += utf8Bytes(chunk);
    if (this.bufferBytes > this.limitBytes) {
      this.finishEarly();
      return;
    }
    this.schedule();
  }

  /** Sends the final text with `isFinalize: true`. `finalText` replaces everything appended, when given. */
  finish(finalText?: string): Promise<void> {
    if (finalText !== undefined && (this.state === 'streaming' || this.cutShort)) this.buffer = finalText;
    return this.end({ isError: false, text: this.buffer, errorText: '', cut: false });
  }

  /** Ends the stream as failed (`isError: true`), showing the text so far followed by `errorText`. */
  fail(errorText: string): Promise<void> {
    return this.end({ isError: true, text: this.buffer, errorText, cut: false });
  }

  /** Stops everything: no more requests, timers cancelled. A pending finish()/fail() rejects. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeEnd?.();
  }

  /** The text no longer fits in one update: the card ends now with what fits, instead of waiting for a refusal. */
  private finishEarly(): void {
    const ending = this.end({ isError: false, text: this.buffer, errorText: '', cut: true });
    // finish() hands the same promise to whoever asks later; until then a failure is reported, not left unhandled.
    ending.catch((err: unknown) => this.opts.onError?.(asError(err, this.opts.outTrackId)));
  }

  private schedule(): void {
    if (this.state !== 'streaming' || this.failure || this.timer || this.inFlight) return;
    if (this.buffer === this.sentText || isBlank(this.buffer)) return;
    const wait = this.lastSendAt + this.intervalMs - this.clock.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, wait);
  }

  private flush(): void {
    const content = this.buffer;
    this.inFlight = this.sendUpdate({ content, isFinalize: false, isError: false })
      .catch((err: unknown) => {
        if (this.lowerLimitAfter(err)) {
          this.logger.warn(`AI card ${this.opts.outTrackId}: DingTalk refused the text as too large; finishing the card with a shorter text`);
          this.inFlight = undefined;
          this.finishEarly();
          return;
        }
        this.failure = asError(err, this.opts.outTrackId);
        this.logger.warn(`AI card ${this.opts.outTrackId}: streaming update failed, later updates are skipped: ${this.failure.message}`);
        this.opts.onError?.(this.failure);
      })
      .finally(() => {
        this.inFlight = undefined;
        this.schedule();
      });
  }

  /**
   * DingTalk refused a size we took to be within its limit (where it refuses is UNCONFIRMED, src/contract.ts): from
   * now on the stricter reading of its page, the 1 K of one update, bounds the whole text. True when lowered.
   */
  private lowerLimitAfter(err: unknown): boolean {
    if (!isContentTooLarge(err) || this.limitBytes <= DINGTALK.cardStreamAppendBytes) return false;
    this.limitBytes = DINGTALK.cardStreamAppendBytes;
    return true;
  }

  private sendUpdate(u: { content: string; isFinalize: boolean; isError: boolean }): Promise<void> {
    this.sentText = u.content;
    this.lastSendAt = this.clock.now();
    this.requests++;
    return this.send({
      outTrackId: this.opts.outTrackId,
      key: this.opts.key,
      content: u.content,
      isFull: true,
      isFinalize: u.isFinalize,
      isError: u.isError,
    });
  }

  /** The last update's content: never empty, never over the limit; the error text stays visible when the text is cut. */
  private compose(parts: FinalParts): string {
    const note = parts.isError ? parts.errorText : (this.opts.truncatedNote ?? DEFAULT_TRUNCATED_NOTE);
    const whole = parts.isError
      ? parts.text && parts.errorText
        ? `${parts.text}\n\n${parts.errorText}`
        : parts.text || parts.errorText
      : parts.text;
    let content = whole;
    if (parts.cut || utf8Bytes(whole) > this.limitBytes) {
      content = withCutMarker(parts.text, this.limitBytes, note);
      this.cutShort = true;
      if (!this.truncationReported) {
        this.truncationReported = true;
        this.opts.onTruncated?.({ shownText: content, totalChars: this.buffer.length, limitBytes: this.limitBytes });
      }
    }
    return isBlank(content) ? prefixWithinBytes(this.opts.emptyText ?? DEFAULT_EMPTY_TEXT, this.limitBytes) : content;
  }

  private end(parts: FinalParts): Promise<void> {
    if (this.state === 'closed') return Promise.reject(streamerClosed(this.opts.outTrackId));
    if (this.ending) return this.ending;
    this.state = 'ending';
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    // From now on chunks are only collected: the card will end with "…".
    if (parts.cut) this.cutShort = true;
    this.ending = this.sendFinal(parts);
    return this.ending;
  }

  private async sendFinal(parts: FinalParts): Promise<void> {
    await this.inFlight;
    // Keep the spacing even for the last update, so a burst of finishing cards stays under the rate limit.
    const wait = this.lastSendAt + this.intervalMs - this.clock.now();
    if (wait > 0) await this.pause(wait);
    if (this.isClosed()) throw streamerClosed(this.opts.outTrackId);
    try {
      await this.sendUpdate({ content: this.compose(parts), isFinalize: true, isError: parts.isError });
    } catch (err) {
      if (!this.lowerLimitAfter(err) || this.isClosed()) throw err;
      // Refused as too large: a card left "typing" is worse than a shorter text, so once more within the 1 K reading.
      this.logger.warn(`AI card ${this.opts.outTrackId}: DingTalk refused the final text as too large; finishing with a shorter text`);
      await this.sendUpdate({ content: this.compose({ ...parts, cut: true }), isFinalize: true, isError: parts.isError });
    }
    if (!this.isClosed()) this.state = 'done';
  }

  /** `state` is changed by close() while we await; a method keeps TypeScript from narrowing it away. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.clock.setTimeout(() => {
        this.wakeEnd = undefined;
        resolve();
      }, ms);
      this.wakeEnd = () => {
        this.clock.clearTimeout(handle);
        this.wakeEnd = undefined;
        resolve();
      };
    });
  }
}

function asError(err: unknown, outTrackId: string): DingTalkError {
  if (err instanceof DingTalkError) return err;
  return new DingTalkError({ status: 0, endpoint: CARD_PATHS.streaming, message: `AI card ${outTrackId}: ${describeThrown(err)}` });
}

function streamerClosed(outTrackId: string): DingTalkError {
  return closedError(CARD_PATHS.streaming, `AI card ${outTrackId}: the streamer was closed before the text was finished`);
}
