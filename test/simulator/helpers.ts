import WebSocket from 'ws';
import { DingTalkSimulator, SIMULATOR_APP, type SimulatorOptions } from '../../src/simulator';

export interface Frame {
  specVersion?: string;
  type: string;
  headers: Record<string, string>;
  data: string;
}

export const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';
export const CARD_TOPIC = '/v1.0/card/instances/callback';

export async function startSim(options: SimulatorOptions = {}): Promise<DingTalkSimulator> {
  const sim = new DingTalkSimulator(options);
  await sim.start();
  return sim;
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function openTicket(
  sim: DingTalkSimulator,
  subscriptions: Array<{ type: string; topic: string }>,
  app = SIMULATOR_APP,
): Promise<{ endpoint: string; ticket: string }> {
  const res = await postJson(`${sim.apiBase}/v1.0/gateway/connections/open`, {
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    subscriptions,
    ua: 'simulator-test/1.0',
  });
  if (res.status !== 200) throw new Error(`gateway answered ${res.status}`);
  return res.body as { endpoint: string; ticket: string };
}

/** A bare Stream client for tests: records frames, lets the test decide what to ack. */
export class TestStreamClient {
  readonly frames: Frame[] = [];
  /** Every text received, JSON or not. */
  readonly texts: string[] = [];
  private waiters: Array<() => void> = [];
  /** Frames already returned by next(). */
  private readonly taken = new Set<Frame>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const text = raw.toString();
      this.texts.push(text);
      try {
        this.frames.push(JSON.parse(text) as Frame);
      } catch {
        // malformed frames are what pushRaw tests send
      }
      for (const w of [...this.waiters]) w();
    });
  }

  static async connect(url: string): Promise<TestStreamClient> {
    const ws = new WebSocket(url);
    const client = new TestStreamClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  static async open(sim: DingTalkSimulator, subscriptions: Array<{ type: string; topic: string }>): Promise<TestStreamClient> {
    const { endpoint, ticket } = await openTicket(sim, subscriptions);
    return TestStreamClient.connect(`${endpoint}?ticket=${ticket}`);
  }

  /** Resolves with the first frame (already received or future) that matches and was not taken yet. */
  next(match: (f: Frame) => boolean, timeoutMs = 4000): Promise<Frame> {
    const taken = this.taken;
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const frame = this.frames.find((f) => match(f) && !taken.has(f));
        if (!frame) return false;
        taken.add(frame);
        resolve(frame);
        return true;
      };
      if (check()) return;
      const waiter = (): void => {
        if (check()) done();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching frame within ${timeoutMs} ms (got ${this.frames.length} frames)`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      this.waiters.push(waiter);
    });
  }

  ack(frame: Frame, data: unknown = { response: null }, code = 200): void {
    this.ws.send(
      JSON.stringify({
        code,
        headers: { contentType: 'application/json', messageId: frame.headers.messageId },
        message: 'OK',
        data: JSON.stringify(data),
      }),
    );
  }

  closed(): Promise<number> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(1006);
    return new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Handshake result for a raw upgrade attempt: the HTTP status when refused, 101 when accepted. */
export function tryUpgrade(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', () => undefined);
  });
}
