/**
 * DingTalk sends each push to one of the connections open for an app (docs/protocol.md §4), so two config nodes with the
 * same clientId in one runtime silently split the messages between them. This registry lets the config node notice.
 * Module state on purpose: it must span every config node of the runtime.
 */
export interface AppIdentity {
  id: string;
  label: string;
  /** Names of the trigger nodes currently using the app, for the warning. */
  users(): string[];
}

const liveByClientId = new Map<string, Map<string, AppIdentity>>();

/** Adds the app and returns the others that already use the same clientId with a Stream connection. */
export function claimClientId(clientId: string, app: AppIdentity): AppIdentity[] {
  let apps = liveByClientId.get(clientId);
  if (!apps) {
    apps = new Map();
    liveByClientId.set(clientId, apps);
  }
  apps.set(app.id, app);
  return [...apps.values()].filter((other) => other.id !== app.id);
}

export function releaseClientId(clientId: string, appId: string): void {
  const apps = liveByClientId.get(clientId);
  if (!apps) return;
  apps.delete(appId);
  if (apps.size === 0) liveByClientId.delete(clientId);
}

/** "name (id) used by: a, b" for each app, for the warning text. */
export function describeApps(apps: readonly AppIdentity[]): string {
  return apps
    .map((app) => {
      const users = app.users();
      return users.length > 0 ? `${app.label} [${users.join(', ')}]` : app.label;
    })
    .join('; ');
}
