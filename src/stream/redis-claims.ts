import { createClient, type RedisClientType } from '@redis/client';
import { randomUUID } from 'node:crypto';
import { ClaimJournal, type JournalEntry } from './claim-journal';
import type { AnswerLookup, ClaimResult, ClaimStore } from './claims';
import { silentLogger, type Logger } from '../util/runtime';

/** What our keys hold once a push was handled; a held key holds the instance's token (a UUID) instead. */
const DONE = 'done';
/** A handled callback whose answer is shared: `done:` then the ack's `data` (ADR 0016). */
const DONE_WITH_ANSWER = 'done:';

// Both only touch the key when it is ours, so an instance whose lease ran out cannot undo another's claim.
const COMPLETE = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or not v then redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2]) end
return 1`;

function isDone(value: string): boolean {
  return value === DONE || value.startsWith(DONE_WITH_ANSWER);
}
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

export interface RedisClaimStoreOptions {
  /** `redis://` or `rediss://` (TLS); a password in it is allowed but `password` keeps it out of settings. */
  url: string;
  password?: string;
  /** Keys are `<keyPrefix><key>`; the config node puts the app's clientId in it so apps never share keys. */
  keyPrefix: string;
  /** Redis connect and reconnect pacing. */
  connectTimeoutMs?: number;
  reconnectMaxMs?: number;
  /** How many of this instance's latest claim decisions are kept to write back after an outage (ClaimJournal). */
  journalMaxKeys?: number;
  logger?: Logger;
}

/**
 * ClaimStore on Redis (ADR 0016): SET NX PX to claim, small Lua scripts to complete and release only our own hold.
 * Commands are refused at once while Redis is unreachable (no offline queue): a claim then falls back to local dedupe
 * instead of waiting for a reconnect, and the client keeps reconnecting by itself. Each time the connection is ready
 * again, the claims this instance decided (ClaimJournal) are written back before any new claim is asked, so a re-push
 * that lands on another instance after the outage finds them; a key another instance wrote meanwhile is kept.
 */
export class RedisClaimStore implements ClaimStore {
  /** This instance's token: what a held key contains. */
  readonly token = randomUUID();
  private readonly client: RedisClientType;
  private readonly prefix: string;
  private readonly logger: Logger;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly journal: ClaimJournal;
  /** The write-back after a (re)connect; claims wait for it so none is answered from a Redis that lacks ours. */
  private writingBack: Promise<void> | undefined;

  constructor(options: RedisClaimStoreOptions) {
    this.prefix = options.keyPrefix;
    this.logger = options.logger ?? silentLogger;
    this.journal = new ClaimJournal(options.journalMaxKeys ?? 10_000);
    // 1 s, not more: a reconnect attempt is one TCP connect to one server, so trying every second costs nothing, while
    // every second without Redis is a second in which a re-push landing on another instance runs its flow again.
    const reconnectMaxMs = options.reconnectMaxMs ?? 1_000;
    this.client = createClient({
      url: options.url,
      ...(options.password ? { password: options.password } : {}),
      disableOfflineQueue: true,
      socket: {
        connectTimeout: options.connectTimeoutMs ?? 2_000,
        reconnectStrategy: (retries: number) => Math.min(reconnectMaxMs, 100 * 2 ** Math.min(retries, 10)),
      },
    });
    // Without a listener an 'error' event would throw; the health signal comes from ClaimGate, so only debug here.
    this.client.on('error', (err: unknown) => this.logger.debug(`Redis: ${err instanceof Error ? err.message : String(err)}`));
    this.client.on('ready', () => {
      const done = this.writeBack();
      this.writingBack = done;
      void done.then(() => {
        if (this.writingBack === done) this.writingBack = undefined;
      });
    });
    this.connect(reconnectMaxMs);
  }

  /** Whether the connection is up now (for the instance count and Test connection). */
  get ready(): boolean {
    return this.client.isReady;
  }

  private connect(retryMs: number): void {
    this.client.connect().then(
      () => undefined,
      // A first connect that fails is not retried by the client's reconnect strategy in every case: retry it here.
      (err: unknown) => {
        this.logger.debug(`Redis connect failed: ${err instanceof Error ? err.message : String(err)}`);
        if (this.closed || this.client.isOpen) return;
        this.retry = setTimeout(() => {
          this.retry = undefined;
          if (!this.closed && !this.client.isOpen) this.connect(retryMs);
        }, retryMs);
        this.retry.unref();
      },
    );
  }

  async claim(key: string, ttlMs: number): Promise<ClaimResult> {
    if (this.writingBack !== undefined) await this.writingBack;
    let result: ClaimResult;
    try {
      result = await this.claimOnce(key, ttlMs, true);
    } catch (err) {
      // The caller now runs the push on local dedupe alone: that is our claim too, for Redis to learn once it is back.
      this.journal.held(key, ttlMs);
      throw err;
    }
    if (result === 'ours') this.journal.held(key, ttlMs);
    return result;
  }

  private async claimOnce(key: string, ttlMs: number, again: boolean): Promise<ClaimResult> {
    const full = this.prefix + key;
    const set = await this.client.set(full, this.token, { condition: 'NX', expiration: { type: 'PX', value: Math.max(1, Math.round(ttlMs)) } });
    if (set !== null) return 'ours';
    // Rare (a duplicate), so a second round trip here keeps the common path to one SET.
    const holder = await this.client.get(full);
    // Expired in between: try once more rather than loop.
    if (holder === null) return again ? this.claimOnce(key, ttlMs, false) : 'busy';
    // Our own token means a second delivery here while the first still runs: busy too, so it is not run twice.
    return isDone(holder) ? 'done' : 'busy';
  }

  async answer(key: string): Promise<AnswerLookup> {
    const value = await this.client.get(this.prefix + key);
    if (value === null) return { state: 'absent' };
    if (value.startsWith(DONE_WITH_ANSWER)) return { state: 'answered', data: value.slice(DONE_WITH_ANSWER.length) };
    return value === DONE ? { state: 'done' } : { state: 'busy' };
  }

  // Both note the decision first, so it is written back after an outage even when this call fails. The journal keeps
  // no answer (10,000 of them could be large): a callback written back after an outage is `done` without one.
  async complete(key: string, ttlMs: number, answer?: string): Promise<void> {
    this.journal.done(key, ttlMs);
    if (this.writingBack !== undefined) await this.writingBack;
    await this.completeInStore(key, ttlMs, answer);
  }

  async release(key: string): Promise<void> {
    this.journal.released(key);
    if (this.writingBack !== undefined) await this.writingBack;
    await this.releaseInStore(key);
  }

  private async completeInStore(key: string, ttlMs: number, answer?: string): Promise<void> {
    const value = answer === undefined ? DONE : DONE_WITH_ANSWER + answer;
    await this.client.eval(COMPLETE, { keys: [this.prefix + key], arguments: [this.token, String(Math.max(1, Math.round(ttlMs))), value] });
  }

  private async releaseInStore(key: string): Promise<void> {
    await this.client.eval(RELEASE, { keys: [this.prefix + key], arguments: [this.token] });
    this.journal.forget(key, 'released');
  }

  /**
   * Writes this instance's live decisions back with the time they have left: a hold with SET NX (a key another
   * instance wrote during the outage is theirs and stays), done and released through the same scripts as always.
   * Never rejects: what fails is written again at the next reconnect.
   */
  private async writeBack(): Promise<void> {
    const entries = this.journal.live();
    if (entries.length === 0) return;
    const results = await Promise.allSettled(entries.map((e) => this.writeOne(e)));
    const failed = results.filter((r) => r.status === 'rejected').length;
    this.logger.debug(`Redis: ${entries.length - failed} of ${entries.length} claims of this instance written back after a reconnect`);
  }

  private async writeOne(entry: JournalEntry): Promise<void> {
    if (entry.state === 'done') return this.completeInStore(entry.key, entry.remainingMs);
    if (entry.state === 'released') return this.releaseInStore(entry.key);
    await this.client.set(this.prefix + entry.key, this.token, {
      condition: 'NX',
      expiration: { type: 'PX', value: Math.max(1, Math.round(entry.remainingMs)) },
    });
  }

  /** Writes `value` under `<prefix>instance:<token>` for `ttlMs`: this instance's heartbeat. */
  async announce(value: string, ttlMs: number): Promise<void> {
    await this.client.set(`${this.prefix}instance:${this.token}`, value, { expiration: { type: 'PX', value: Math.max(1, Math.round(ttlMs)) } });
  }

  /** Removes this instance's heartbeat (a clean stop), so the others' count drops at once. */
  async withdraw(): Promise<void> {
    await this.client.del(`${this.prefix}instance:${this.token}`);
  }

  /** The heartbeats of every live instance of the app, ours included. */
  async announced(): Promise<string[]> {
    const keys: string[] = [];
    for await (const batch of this.client.scanIterator({ MATCH: `${this.prefix}instance:*`, COUNT: 100 })) keys.push(...batch);
    if (keys.length === 0) return [];
    const values = await this.client.mGet(keys);
    return values.filter((v): v is string => typeof v === 'string');
  }

  /** Closes the connection; pending commands fail, which the gate turns into local dedupe. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.retry = undefined;
    if (!this.client.isOpen) return;
    try {
      this.client.destroy();
    } catch {
      // already closing
    }
  }
}
