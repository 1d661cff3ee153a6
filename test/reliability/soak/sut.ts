/**
 * System under test for the soak: a real, embedded Node-RED runtime (require('node-red')) with this package installed
 * into its user directory the way a user would (node_modules link), running the soak flow against the simulator.
 * Everything it sees (probe messages, log lines, heap figures) goes to the runner over IPC; it keeps nothing itself.
 *
 * Started by run.ts with `--expose-gc`; not meant to be run by hand.
 */
import { prepareUserDir, quietSettings } from '../user-dir';
import { soakFlow } from './flow';
import { SUT_CONFIG_ENV, type ProbeKind, type RunnerToSut, type SutConfig, type SutToRunner } from './protocol';

interface NodeRedRuntime {
  init(settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface LogEvent {
  level: number;
  msg?: unknown;
  type?: string;
  id?: string;
  name?: string;
}

const LEVELS: Record<number, string> = { 10: 'fatal', 20: 'error', 30: 'warn', 40: 'info', 50: 'debug', 60: 'trace' };

function tell(message: SutToRunner): void {
  process.send?.(message);
}

/** JSON of a msg as a debug node would show it: functions dropped, cycles cut, never throws. */
function serialise(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'function') return undefined;
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[circular]';
        seen.add(v);
      }
      return v;
    });
  } catch (err) {
    return `[unserialisable: ${err instanceof Error ? err.message : String(err)}]`;
  }
}

/** Copies own properties that JSON.stringify would skip on Error objects (message, code...). */
function withErrorFields(msg: unknown): unknown {
  if (typeof msg !== 'object' || msg === null) return msg;
  const error = (msg as { error?: unknown }).error;
  if (!(error instanceof Error)) return msg;
  return { ...msg, error: { ...error, name: error.name, message: error.message } };
}

const probe = {
  report(kind: ProbeKind, key: unknown, msg: unknown): void {
    tell({ t: 'probe', kind, key: typeof key === 'string' ? key : String(key ?? ''), at: Date.now(), json: serialise(withErrorFields(msg)) });
  },
};

async function main(): Promise<void> {
  const raw = process.env[SUT_CONFIG_ENV];
  if (!raw) throw new Error(`${SUT_CONFIG_ENV} is not set: start the soak with npm run soak`);
  const config = JSON.parse(raw) as SutConfig;
  prepareUserDir(config.userDir, config.packageRoot, soakFlow(config.apiBase), {
    app: { clientId: config.clientId, clientSecret: config.clientSecret },
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red') as NodeRedRuntime;
  RED.init({
    ...quietSettings(config.userDir),
    httpAdminRoot: false,
    httpNodeRoot: false,
    functionGlobalContext: { soak: probe },
    dingtalkStreamAppTiming: config.timing,
    logging: {
      soak: {
        level: 'debug',
        metrics: false,
        audit: false,
        handler: () => (event: LogEvent) => {
          const source = event.type ? `[${event.type}${event.name ? `:${event.name}` : ''}] ` : '';
          const text =
            typeof event.msg === 'string' ? event.msg : event.msg instanceof Error ? (event.msg.stack ?? event.msg.message) : serialise(event.msg);
          tell({ t: 'log', level: LEVELS[event.level] ?? String(event.level), text: source + text });
        },
      },
    },
  });
  process.on('message', (message: RunnerToSut) => {
    if (message.cmd === 'heap') {
      const gc = (globalThis as { gc?: () => void }).gc;
      // Twice: the first pass can leave objects whose finalisers free more.
      gc?.();
      gc?.();
      const usage = process.memoryUsage();
      tell({ t: 'heap', heapUsed: usage.heapUsed, rss: usage.rss, label: message.label });
    } else if (message.cmd === 'stop') {
      RED.stop().then(
        () => {
          tell({ t: 'stopped' });
          process.disconnect?.();
        },
        (err: unknown) => tell({ t: 'fatal', text: `Node-RED stop failed: ${String(err)}` }),
      );
    }
  });
  await RED.start();
  tell({ t: 'ready' });
}

process.on('uncaughtException', (err) => {
  tell({ t: 'fatal', text: `uncaughtException in the Node-RED process: ${err.stack ?? err.message}` });
});
process.on('unhandledRejection', (err) => {
  tell({ t: 'fatal', text: `unhandledRejection in the Node-RED process: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` });
});

main().catch((err: unknown) => {
  tell({ t: 'fatal', text: `the Node-RED process failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` });
  process.exitCode = 1;
  process.disconnect?.();
});
