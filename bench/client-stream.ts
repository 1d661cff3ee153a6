/**
 * Child process: ONE Stream client under test (ours or the official SDK), so its CPU and memory are its own.
 * Ours: StreamClient with production defaults (validation, dedupe, ack-at-once) and a robot handler that counts.
 * Official: DWClient with a robot callback listener that acks with socketCallBackResponse, then parses `data`
 * (any glue needs the message object; ours hands the handler a parsed, validated one) and counts.
 */
import { StreamClient } from '../src/stream/client';
import { serve } from './ipc';
import { loadOfficialSdk, type SdkClient } from './official-sdk';

export type ClientKind = 'ours' | 'official';

export interface ConnectArgs {
  kind: ClientKind;
  apiBase: string;
  clientId: string;
  clientSecret: string;
  /** Keep a count per msgId (scenario 3) instead of a bare counter. */
  trackMsgIds: boolean;
}

export interface ClientReport {
  kind: ClientKind;
  handled: number;
  cpuMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** process.resourceUsage().maxRSS, in MB. */
  peakRssMb: number;
  rssMb: number;
  heapUsedMb: number;
  /** Ours only: frames the client dropped as duplicates (acked, not handed to the handler). */
  duplicatesDropped?: number;
  reconnects?: number;
}

/**
 * BENCH_EXPERIMENT_CORK=1 (not used by `npm run bench`): a what-if for the report. Corks the TCP socket under every
 * ws send until the end of the current tick, so the acks for one burst of inbound frames leave in one write instead
 * of one writev each. Patched on ws's prototype in this process only; src/stream is untouched.
 */
function corkAcksPerTick(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const WebSocket = require('ws') as { prototype: { send(...args: unknown[]): void } };
  const original = WebSocket.prototype.send;
  const corked = new WeakSet<object>();
  WebSocket.prototype.send = function (this: { _socket?: { cork(): void; uncork(): void } }, ...args: unknown[]) {
    const socket = this._socket;
    if (socket && !corked.has(socket)) {
      corked.add(socket);
      socket.cork();
      process.nextTick(() => {
        corked.delete(socket);
        socket.uncork();
      });
    }
    original.apply(this, args);
  };
}
if (process.env['BENCH_EXPERIMENT_CORK'] === '1') corkAcksPerTick();

let kind: ClientKind = 'ours';
let ours: StreamClient | undefined;
let official: SdkClient | undefined;
let handled = 0;
const perMsgId = new Map<string, number>();
let trackMsgIds = false;
let cpuMark = process.cpuUsage();

function seen(msgId: string): void {
  handled += 1;
  if (trackMsgIds) perMsgId.set(msgId, (perMsgId.get(msgId) ?? 0) + 1);
}

serve({
  connect: (args: ConnectArgs) => {
    kind = args.kind;
    trackMsgIds = args.trackMsgIds;
    if (args.kind === 'ours') {
      ours = new StreamClient({ clientId: args.clientId, clientSecret: args.clientSecret, apiBase: args.apiBase });
      ours.onRobotMessage((push) => seen(trackMsgIds ? push.data.msgId : ''));
      ours.start();
    } else {
      const sdk = loadOfficialSdk(args.apiBase);
      const client = new sdk.DWClient({ clientId: args.clientId, clientSecret: args.clientSecret });
      client.registerCallbackListener(sdk.TOPIC_ROBOT, (push) => {
        client.socketCallBackResponse(push.headers.messageId, null);
        const message = JSON.parse(push.data) as { msgId: string };
        seen(message.msgId);
      });
      void client.connect();
      official = client;
    }
    return true;
  },
  mark: () => {
    cpuMark = process.cpuUsage();
    handled = 0;
    perMsgId.clear();
    return true;
  },
  report: (): ClientReport => {
    const cpu = process.cpuUsage(cpuMark);
    const mem = process.memoryUsage();
    return {
      kind,
      handled,
      cpuMs: (cpu.user + cpu.system) / 1000,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      rssMb: mem.rss / 1048576,
      heapUsedMb: mem.heapUsed / 1048576,
      ...(ours ? { duplicatesDropped: ours.stats.duplicatesDropped, reconnects: ours.stats.reconnects } : {}),
    };
  },
  deliveries: () => perMsgId,
  close: async () => {
    await ours?.close();
    official?.disconnect();
    return true;
  },
});
