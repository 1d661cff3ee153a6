import type { Node, NodeAPI } from 'node-red';
import type { OpenApiClient } from '../../src/api/http';
import type { StreamClientApi } from '../../src/stream/types';
import { configErrorStatus } from './status';

/** What a node tells its app it needs, so the app subscribes to exactly those Stream topics. */
export interface AppNeeds {
  robot?: boolean;
  events?: boolean;
  card?: boolean;
  /** AI assistant actions (`/v1.0/graph/api/invoke`). */
  ai?: boolean;
}

/**
 * The `dingtalk-stream-app` config node as the other nodes see it (docs/ARCHITECTURE.md).
 * One StreamClient and one OpenApiClient per app, shared by every node that references it.
 */
export interface DingTalkAppNode extends Node {
  /** Config, default the clientId. */
  readonly robotCode: string;
  readonly apiBase: string;
  /** How long the Stream client waits for a card-callback answer before it answers DingTalk with "no change". */
  readonly callbackDeadlineMs: number;
  /** One per app, created on first use, closed with the config node. */
  getApi(): OpenApiClient;
  /** One per app. */
  getStream(): StreamClientApi;
  /** Status fan-out + tells the app what the node needs subscribed. Call in the node constructor. */
  register(node: Node, needs: AppNeeds): void;
  /** Call from the node's close handler; removes only what this node added. */
  deregister(node: Node, done: () => void): void;
}

export const APP_NODE_TYPE = 'dingtalk-stream-app';

/**
 * Finds the app a node's `app` property points at. Returns null when it is missing or is not an app node,
 * so callers show the "no app configured" status instead of crashing.
 */
export function findApp(RED: NodeAPI, appId: unknown): DingTalkAppNode | null {
  if (typeof appId !== 'string' || appId === '') return null;
  const node = RED.nodes.getNode(appId) as Node | null;
  if (!node || node.type !== APP_NODE_TYPE) return null;
  return node as DingTalkAppNode;
}

/**
 * The one way a node joins its app: find it and register with what the node needs from the stream (nothing for
 * action nodes). Without an app the node shows a red ring with `noAppText()` and gets null.
 */
export function joinApp(RED: NodeAPI, node: Node, appId: unknown, needs: AppNeeds, noAppText: () => string): DingTalkAppNode | null {
  const app = findApp(RED, appId);
  if (!app) {
    node.status(configErrorStatus(noAppText()));
    return null;
  }
  app.register(node, needs);
  return app;
}

/** The counterpart of joinApp, for the node's close handler: done() is called once the app has let go. */
export function leaveApp(app: DingTalkAppNode | null, node: Node, done: () => void): void {
  if (app) app.deregister(node, done);
  else done();
}
