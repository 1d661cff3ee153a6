import type { NodeAPI } from 'node-red';

/** The part of a deployed node's configuration that says where its messages go. */
interface NodeConfig {
  id: string;
  type: string;
  wires?: unknown;
  links?: unknown;
  mode?: unknown;
  d?: unknown;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Whether a message sent by `startId` may reach a node of `targetType` in the deployed flows, following wires, junctions
 * and `link out` -> `link in`. What cannot be followed (a subflow instance, a `link call`, a `link out` in return mode)
 * counts as "may reach": the answer only lets a trigger stop waiting for an answer that surely cannot come.
 * Walks the deployed configuration (RED.nodes.eachNode), so it sees the flow as it is now.
 */
export function mayReach(RED: NodeAPI, startId: string, targetType: string): boolean {
  const nodes = new Map<string, NodeConfig>();
  RED.nodes.eachNode((config) => {
    const node = config as unknown as NodeConfig;
    nodes.set(node.id, node);
  });
  const start = nodes.get(startId);
  if (!start) return true;
  const seen = new Set<string>([startId]);
  const queue: string[] = [];
  for (const output of Array.isArray(start.wires) ? start.wires : []) queue.push(...strings(output));
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = nodes.get(id);
    if (!node || node.d === true) continue;
    if (node.type === targetType) return true;
    if (node.type.startsWith('subflow:') || node.type === 'link call') return true;
    if (node.type === 'link out') {
      if (node.mode === 'return') return true;
      queue.push(...strings(node.links));
      continue;
    }
    for (const output of Array.isArray(node.wires) ? node.wires : []) queue.push(...strings(output));
  }
  return false;
}
