/**
 * Turns the example flows into one flows.json for the playground: one tab per example, one shared app config node.
 *
 * Its credentials are the references `${DINGTALK_CLIENT_ID}` / `${DINGTALK_CLIENT_SECRET}`, resolved by Node-RED from
 * the environment npm start gives it, so no secret is ever written. Its apiBase is written as a plain URL (the
 * simulator's or api.dingtalk.com) and set again on every start by `pointAppAt`: the editor validates apiBase as an
 * http(s) URL and the "Test connection" button sends the field as typed, so a `${...}` reference there would show the
 * node as invalid and fail the test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Example file -> tab label, in tab order. */
export const PLAYGROUND_EXAMPLES: ReadonlyArray<{ file: string; label: string }> = [
  { file: 'echo-robot.json', label: 'Echo robot' },
  { file: 'approval-automation.json', label: 'Approval automation' },
  { file: 'ai-assistant-action.json', label: 'AI assistant action' },
];
export const PLAYGROUND_APP_ID = 'playground-dingtalk-app';
const APP_ID = PLAYGROUND_APP_ID;

type FlowNode = { id: string; type: string; z?: string; app?: string; [key: string]: unknown };

export type { FlowNode as PlaygroundFlowNode };

export function buildPlaygroundFlows(
  examplesDir: string,
  apiBase: string,
): {
  flows: FlowNode[];
  credentials: Record<string, Record<string, string>>;
} {
  const flows: FlowNode[] = [
    {
      id: APP_ID,
      type: 'dingtalk-stream-app',
      name: 'Playground app',
      apiBase,
      robotCode: '',
      proxy: '',
    },
  ];
  for (const { file, label } of PLAYGROUND_EXAMPLES) {
    const nodes = JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) as FlowNode[];
    const tabId = `playground-tab-${file.replace(/\.json$/, '')}`;
    flows.push({ id: tabId, type: 'tab', label, disabled: false, info: `From examples/${file}.` });
    for (const node of nodes) {
      if (node.type === 'tab' || node.type === 'dingtalk-stream-app') continue;
      const copy: FlowNode = { ...node, id: `${tabId}-${node.id}`, z: tabId };
      if (typeof copy.app === 'string') copy.app = APP_ID;
      if (Array.isArray(copy.wires)) {
        copy.wires = (copy.wires as string[][]).map((port) => port.map((id) => `${tabId}-${id}`));
      }
      for (const key of ['links', 'scope'] as const) {
        if (Array.isArray(copy[key])) copy[key] = (copy[key] as string[]).map((id) => `${tabId}-${id}`);
      }
      if (typeof copy.g === 'string') copy.g = `${tabId}-${copy.g}`;
      if (Array.isArray(copy.nodes)) copy.nodes = (copy.nodes as string[]).map((id) => `${tabId}-${id}`);
      flows.push(copy);
    }
  }
  return {
    flows,
    credentials: { [APP_ID]: { clientId: '${DINGTALK_CLIENT_ID}', clientSecret: '${DINGTALK_CLIENT_SECRET}' } },
  };
}

/**
 * Points the playground app at `apiBase` in saved flows (the user's edits kept otherwise). Returns the flows when
 * something changed, undefined when they already point there or have no playground app any more.
 */
export function pointAppAt(flows: FlowNode[], apiBase: string): FlowNode[] | undefined {
  const app = flows.find((n) => n.id === APP_ID && n.type === 'dingtalk-stream-app');
  if (!app || app.apiBase === apiBase) return undefined;
  return flows.map((n) => (n === app ? { ...n, apiBase } : n));
}
