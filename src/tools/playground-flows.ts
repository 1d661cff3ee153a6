/**
 * Turns the example flows into one flows.json for the playground: one tab per example, one shared app config node
 * whose apiBase and credentials come from environment variables.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PLAYGROUND_EXAMPLES = ['echo-robot.json', 'approval-automation.json'];
const APP_ID = 'playground-dingtalk-app';

type FlowNode = { id: string; type: string; z?: string; app?: string; [key: string]: unknown };

export function buildPlaygroundFlows(examplesDir: string): {
  flows: FlowNode[];
  credentials: Record<string, Record<string, string>>;
} {
  const flows: FlowNode[] = [
    {
      id: APP_ID,
      type: 'dingtalk-stream-app',
      name: 'Playground app',
      apiBase: '${DINGTALK_API_BASE}',
      robotCode: '',
      proxy: '',
    },
  ];
  for (const file of PLAYGROUND_EXAMPLES) {
    const nodes = JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) as FlowNode[];
    const tabId = `playground-tab-${file.replace(/\.json$/, '')}`;
    const tab = nodes.find((n) => n.type === 'tab');
    flows.push({ id: tabId, type: 'tab', label: tab?.label ?? file.replace(/\.json$/, ''), disabled: false, info: '' });
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
