/**
 * Child process: a real Node-RED runtime (embedded with `require('node-red')` and a settings object, editor and
 * HTTP off) running `dingtalk-stream-app` -> `dingtalk-robot-in` -> `dingtalk-reply`: an echo bot. Loads the nodes
 * from dist/nodes the way Node-RED loads an installed package's nodes (html, locales and icons beside the .js).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from './ipc';

interface NodeRedRuntime {
  init(server: unknown, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  nodes: { getNode(id: string): { on(event: string, fn: (...args: unknown[]) => void): void } | null };
}

export interface NodeRedStartArgs {
  apiBase: string;
  clientId: string;
  clientSecret: string;
}

let red: NodeRedRuntime | undefined;
let userDir: string | undefined;
let cpuMark = process.cpuUsage();
const warnings: string[] = [];

serve({
  start: async (args: NodeRedStartArgs) => {
    userDir = mkdtempSync(join(tmpdir(), 'dingtalk-bench-nodered-'));
    const flow = [
      { id: 'tab1', type: 'tab', label: 'echo bot' },
      { id: 'app1', type: 'dingtalk-stream-app', name: 'bench', apiBase: args.apiBase, robotCode: '', proxy: '' },
      {
        id: 'in1',
        z: 'tab1',
        type: 'dingtalk-robot-in',
        name: '',
        app: 'app1',
        chat: 'both',
        msgtypes: '',
        keyword: '',
        keywordMode: 'contains',
        wires: [['reply1']],
      },
      {
        id: 'reply1',
        z: 'tab1',
        type: 'dingtalk-reply',
        name: '',
        app: 'app1',
        msgType: 'text',
        title: '',
        atSender: false,
        fallbackToApi: false,
        wires: [[]],
      },
    ];
    writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flow));
    writeFileSync(join(userDir, 'flows_cred.json'), JSON.stringify({ app1: { clientId: args.clientId, clientSecret: args.clientSecret } }));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    red = require('node-red') as NodeRedRuntime;
    red.init(createServer(), {
      userDir,
      flowFile: 'flows.json',
      credentialSecret: false,
      httpAdminRoot: false,
      httpNodeRoot: false,
      disableEditor: true,
      nodesDir: [join(__dirname, '..', 'nodes')],
      logging: { console: { level: 'warn', metrics: false, audit: false, handler: undefined } },
      telemetry: { enabled: false },
      diagnostics: { enabled: false },
      runtimeState: { enabled: false },
      editorTheme: { tours: false },
    });
    await red.start();
    return true;
  },
  mark: () => {
    cpuMark = process.cpuUsage();
    return true;
  },
  report: () => {
    const cpu = process.cpuUsage(cpuMark);
    const mem = process.memoryUsage();
    return {
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      rssMb: mem.rss / 1048576,
      heapUsedMb: mem.heapUsed / 1048576,
      warnings: warnings.slice(0, 5),
    };
  },
  close: async () => {
    await red?.stop();
    if (userDir) rmSync(userDir, { recursive: true, force: true });
    return true;
  },
});
