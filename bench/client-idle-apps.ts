/**
 * Child process (run with --expose-gc): K Stream clients in one process, each for its own simulator app,
 * connected and idle; reports memory after forced GC.
 */
import { StreamClient } from '../src/stream/client';
import { serve } from './ipc';
import { loadOfficialSdk, type SdkClient } from './official-sdk';
import type { ClientKind } from './client-stream';
import { sleep } from './stats';

export interface IdleAppsArgs {
  kind: ClientKind;
  apiBase: string;
  apps: Array<{ clientId: string; clientSecret: string }>;
}

export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
}

const ours: StreamClient[] = [];
const official: SdkClient[] = [];
let sdk: ReturnType<typeof loadOfficialSdk> | undefined;

serve({
  /** Adds one client per app given (the process keeps the ones it already has). */
  connect: (args: IdleAppsArgs) => {
    if (args.kind === 'ours') {
      for (const app of args.apps) {
        const client = new StreamClient({ clientId: app.clientId, clientSecret: app.clientSecret, apiBase: args.apiBase });
        client.onRobotMessage(() => undefined);
        client.start();
        ours.push(client);
      }
    } else {
      sdk ??= loadOfficialSdk(args.apiBase);
      for (const app of args.apps) {
        const client: SdkClient = new sdk.DWClient({ clientId: app.clientId, clientSecret: app.clientSecret });
        client.registerCallbackListener(sdk.TOPIC_ROBOT, (push) => client.socketCallBackResponse(push.headers.messageId, null));
        void client.connect();
        official.push(client);
      }
    }
    return true;
  },
  memory: async (): Promise<MemorySample> => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('client-idle-apps: start with --expose-gc');
    // Let connection set-up garbage become unreachable, then collect a few times (weak refs, finalizers).
    for (let i = 0; i < 6; i++) {
      gc();
      await sleep(100);
    }
    const mem = process.memoryUsage();
    return { rssMb: mem.rss / 1048576, heapUsedMb: mem.heapUsed / 1048576, externalMb: mem.external / 1048576 };
  },
  close: async () => {
    await Promise.all(ours.map((c) => c.close()));
    for (const c of official) c.disconnect();
    return true;
  },
});
