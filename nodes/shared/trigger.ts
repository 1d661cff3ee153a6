import type { Node, NodeAPI } from 'node-red';
import type { StreamClientApi, Unsubscribe } from '../../src/stream/types';
import { joinApp, leaveApp, type AppNeeds, type DingTalkAppNode } from './app-node';
import { describeThrown } from '../../src/util/thrown';

/**
 * The part every trigger node shares: find the app, register for status and subscriptions, subscribe, and undo
 * exactly that on close. `subscribe` returns the Unsubscribe it got from the stream.
 * Returns the app, or null when the node has none (the node then shows a red status and does nothing).
 */
export function attachTrigger(
  RED: NodeAPI,
  node: Node,
  appId: unknown,
  needs: AppNeeds,
  subscribe: (stream: StreamClientApi, app: DingTalkAppNode) => Unsubscribe,
  /** Runs on close before the node leaves its app; a returned promise delays leaving until it settles. */
  onClose?: () => void | Promise<void>,
): DingTalkAppNode | null {
  const app = joinApp(RED, node, appId, needs, () => RED._(`${node.type}.status.noApp`));
  if (!app) return null;
  let unsubscribe: Unsubscribe | undefined;
  try {
    unsubscribe = subscribe(app.getStream(), app);
  } catch (error) {
    // Missing credentials: register() has already put the reason on the status dot.
    node.debug(describeThrown(error));
  }
  node.on('close', (_removed: boolean, done: () => void) => {
    unsubscribe?.();
    unsubscribe = undefined;
    const closing = onClose?.();
    if (closing === undefined) leaveApp(app, node, done);
    else
      closing.then(
        () => leaveApp(app, node, done),
        () => leaveApp(app, node, done),
      );
  });
  return app;
}
