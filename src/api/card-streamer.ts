import type { Clock, Logger } from '../util/runtime';
import { silentLogger } from '../util/runtime';
import { streamCard } from './card';
import { DingTalkError, LocalErrorCode } from './errors';
import type { OpenApiClient } from './http';
import type { StreamCardInput } from './schemas';
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
}

type State = 'streaming' | 'ending' | 'done' | 'closed';

/**
 * The "typewriter" AI card: text arrives in small chunks (LLM tokens), DingTalk gets the whole text so far at a
 * bounded rate. Always `isFull: true` (replace), so a lost or repeated update never garbles the text, and one
 * request at a time, so updates cannot overtake each other.
 */
export class CardStreamer {
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly send: (input: StreamCardInput) => Promise<void>;
  private buffer = '';
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

  constructor(
    api: OpenApiClient,
    private readonly opts: CardStreamerOptions,
  ) {
    this.intervalMs = opts.intervalMs ?? 300;
    this.clock = opts.clock ?? api.clock;
    this.logger = opts.logger ?? silentLogger;
    this.send = opts.send ?? ((input) => streamCard(api, input));
  }

  /** Everything appended so far. */
  get text(): string {
    return this.buffer;
  }

  /** Updates sent so far (for status displays and tests). */
  get requestCount(): number {
    return this.requests;
  }

  append(chunk: string): void {
    if (this.state !== 'streaming') throw new Error(`CardStreamer: append() after ${this.state === 'closed' ? 'close()' : 'finish()/fail()'}`);
    this.buffer += chunk;
    this.schedule();
  }

  /** Sends the final text with `isFinalize: true`. `finalText` replaces everything appended, when given. */
  finish(finalText?: string): Promise<void> {
    if (finalText !== undefined && this.state === 'streaming') this.buffer = finalText;
    return this.end(false, this.buffer);
  }

  /** Ends the stream as failed (`isError: true`), showing the text so far followed by `errorText`. */
  fail(errorText: string): Promise<void> {
    const content = this.buffer ? `${this.buffer}\n\n${errorText}` : errorText;
    return this.end(true, content);
  }

  /** Stops everything: no more requests, timers cancelled. A pending finish()/fail() rejects. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeEnd?.();
  }

  private schedule(): void {
    if (this.state !== 'streaming' || this.failure || this.timer || this.inFlight) return;
    if (this.buffer === this.sentText) return;
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
        this.failure = asError(err, this.opts.outTrackId);
        this.logger.warn(`AI card ${this.opts.outTrackId}: streaming update failed, later updates are skipped: ${this.failure.message}`);
        this.opts.onError?.(this.failure);
      })
      .finally(() => {
        this.inFlight = undefined;
        this.schedule();
      });
  }

  private sendUpdate(u: { content: string; isFinalize: boolean; isError: boolean }): Promise<void> {
    this.sentText = u.content;
    this.lastSendAt = this.clock.now();
    this.requests++;
    return this.send({ outTrackId: this.opts.outTrackId, key: this.opts.key, content: u.content, isFull: true, isFinalize: u.isFinalize, isError: u.isError });
  }

  private end(isError: boolean, content: string): Promise<void> {
    if (this.state === 'closed') return Promise.reject(closedError(this.opts.outTrackId));
    if (this.ending) return this.ending;
    this.state = 'ending';
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.ending = this.sendFinal(isError, content);
    return this.ending;
  }

  private async sendFinal(isError: boolean, content: string): Promise<void> {
    await this.inFlight;
    // Keep the spacing even for the last update, so a burst of finishing cards stays under the rate limit.
    const wait = this.lastSendAt + this.intervalMs - this.clock.now();
    if (wait > 0) await this.pause(wait);
    if (this.isClosed()) throw closedError(this.opts.outTrackId);
    await this.sendUpdate({ content, isFinalize: true, isError });
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
  return new DingTalkError({ status: 0, endpoint: '/v1.0/card/streaming', message: `AI card ${outTrackId}: ${describeThrown(err)}` });
}

function closedError(outTrackId: string): DingTalkError {
  return new DingTalkError({
    status: 0,
    code: LocalErrorCode.Closed,
    endpoint: '/v1.0/card/streaming',
    message: `AI card ${outTrackId}: the streamer was closed before the text was finished`,
  });
}
