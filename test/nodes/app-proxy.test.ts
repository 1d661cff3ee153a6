import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appSecrets } from '../../src/app-config/credentials';
import { startConnectProxy, type ConnectProxy } from './connect-proxy';
import {
  ALL_MODULES,
  FAST_TIMINGS,
  Inbox,
  TAB,
  appConfig,
  helper,
  loggedText,
  robotIn,
  shownStatuses,
  simCredentials,
  untilStatus,
  useNodeRedWithSimulator,
  type HelperNode,
} from './support';

/**
 * The app's Proxy setting in a real Node-RED runtime: a login kept in the credentials (not in the flow), old flows
 * with the login in the URL, `host:port` without a scheme, and settings that cannot be used (a red status on every
 * trigger instead of triggers that fail to be created).
 */

const LOGIN = { user: 'proxyuser', password: 'pr0xy-p@ss-7788' };
const OUT = { id: 'out', z: TAB.id, type: 'helper' };

function eventIn(id: string): Record<string, unknown> {
  return { id, z: TAB.id, type: 'dingtalk-event-in', app: 'app1', eventTypes: '', ackPolicy: 'emit', ackTimeout: 5, wires: [['out']] };
}

function cardIn(id: string): Record<string, unknown> {
  return { id, z: TAB.id, type: 'dingtalk-card-in', app: 'app1', deadline: 2, wires: [['out']] };
}

function basic(login: { user: string; password: string }): string {
  return `Basic ${Buffer.from(`${login.user}:${login.password}`).toString('base64')}`;
}

/** Everything a user sees of the run: the log and the statuses of the given nodes. */
function visible(ids: string[]): string {
  return loggedText() + JSON.stringify(ids.map((id) => shownStatuses(helper.getNode(id)!)));
}

describe('dingtalk-stream-app: proxy settings', function () {
  const env = useNodeRedWithSimulator(FAST_TIMINGS);
  let proxy: ConnectProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  async function connectedThrough(p: ConnectProxy): Promise<void> {
    await untilStatus(helper.getNode('r1')!, (s) => s.fill === 'green', 'green on r1');
    const inbox = new Inbox(helper.getNode('out')!);
    env.sim.robotMessage({ text: 'via the proxy' });
    assert.equal((await inbox.nth(1))['payload'], 'via the proxy');
    const target = new URL(env.sim.apiBase).host;
    assert.ok(p.tunnels.length >= 2, `gateway + WebSocket tunnels, saw ${JSON.stringify(p.tunnels)}`);
    assert.ok(p.tunnels.every((t) => t === target));
  }

  it('connects through a proxy that asks for a login, with the Proxy user / Proxy password credentials', async () => {
    proxy = await startConnectProxy(LOGIN);
    const credentials = { app1: { ...simCredentials().app1, proxyUser: LOGIN.user, proxyPassword: LOGIN.password } };
    await helper.load(ALL_MODULES, [TAB, appConfig(env.sim, 'app1', { proxy: proxy.origin }), robotIn('r1'), OUT], credentials);
    await connectedThrough(proxy);
    assert.ok(proxy.auth.every((a) => a === basic(LOGIN)));
    assert.ok(!visible(['r1']).includes(LOGIN.password));
  });

  it('keeps an old flow with the login in the Proxy URL working, warns to move it, and scrubs the password', async () => {
    proxy = await startConnectProxy(LOGIN);
    const legacy = `http://${LOGIN.user}:${encodeURIComponent(LOGIN.password)}@${proxy.hostPort}`;
    await helper.load(ALL_MODULES, [TAB, appConfig(env.sim, 'app1', { proxy: legacy }), robotIn('r1'), OUT], simCredentials());
    await connectedThrough(proxy);
    assert.ok(proxy.auth.every((a) => a === basic(LOGIN)));
    const warnings = helper
      .log()
      .args.map((a) => a[0] as Record<string, unknown>)
      .filter((e) => /proxyCredentialsInUrl/.test(String(e['msg'])));
    assert.equal(warnings.length, 1, 'one warning to open the dialog and deploy');
    // The password joined the app's credentials, which every error text of the action nodes is scrubbed of.
    assert.ok(appSecrets(helper.getNode('app1')!).includes(LOGIN.password));
    const seen = visible(['r1']);
    assert.ok(!seen.includes(LOGIN.password) && !seen.includes(encodeURIComponent(LOGIN.password)));
  });

  it('reaches a proxy given as host:port without a scheme, as curl does', async () => {
    proxy = await startConnectProxy();
    await helper.load(ALL_MODULES, [TAB, appConfig(env.sim, 'app1', { proxy: proxy.hostPort }), robotIn('r1'), OUT], simCredentials());
    await connectedThrough(proxy);
  });

  /** Sets environment variables for one test; the returned function puts the old values back. */
  function setEnv(values: Record<string, string | undefined>): () => void {
    const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
    const apply = (from: Record<string, string | undefined>): void => {
      for (const [k, v] of Object.entries(from)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    };
    apply(values);
    return () => apply(saved);
  }

  it('reaches a proxy given as HTTP_PROXY=host:port, which curl accepts', async () => {
    proxy = await startConnectProxy();
    // The simulator is on http://127.0.0.1, so HTTP_PROXY is the variable that applies.
    const restore = setEnv({ HTTP_PROXY: proxy.hostPort, http_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined });
    try {
      await helper.load(ALL_MODULES, [TAB, appConfig(env.sim), robotIn('r1'), OUT], simCredentials());
      await connectedThrough(proxy);
    } finally {
      restore();
    }
  });

  const BROKEN: Array<[string, string]> = [
    ['a broken %-escape in the password', 'http://proxyuser:p%zz-secret@127.0.0.1:9'],
    ['a scheme other than http(s)', 'socks5://127.0.0.1:1080'],
    ['something that is not a URL', 'http://exa mple:3128'],
  ];
  for (const [what, setting] of BROKEN) {
    it(`shows a red status with the reason on every trigger for ${what}, and the flow still deploys`, async () => {
      const flow = [TAB, appConfig(env.sim, 'app1', { proxy: setting }), robotIn('r1'), eventIn('e1'), cardIn('c1'), OUT];
      await helper.load(ALL_MODULES, flow, simCredentials());
      for (const id of ['r1', 'e1', 'c1']) {
        const node: HelperNode | undefined = helper.getNode(id);
        assert.ok(node, `${id} was created`);
        const red = await untilStatus(node, (s) => s.fill === 'red', `red on ${id}`);
        assert.match(String(red.text), /status\.badProxy/);
      }
      const errors = helper
        .log()
        .args.map((a) => a[0] as Record<string, unknown>)
        .filter((e) => e['level'] === 20 /* ERROR */);
      assert.ok(
        errors.some((e) => /errors\.badProxy/.test(String(e['msg']))),
        JSON.stringify(errors),
      );
      assert.ok(!errors.some((e) => /InvalidArgumentError|URI malformed/.test(String(e['msg']))));
      const app = helper.getNode('app1') as unknown as { getApi(): unknown };
      assert.throws(() => app.getApi(), /errors\.badProxy/);
      assert.equal(env.sim.connections.length, 0);
      assert.ok(!visible(['r1', 'e1', 'c1']).includes('p%zz-secret'));
    });
  }

  it('shows the same red status for an HTTP_PROXY it cannot use', async () => {
    const restore = setEnv({ HTTP_PROXY: 'http://u:pa%ss-word@127.0.0.1:9', http_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined });
    try {
      await helper.load(ALL_MODULES, [TAB, appConfig(env.sim), robotIn('r1'), OUT], simCredentials());
      const red = await untilStatus(helper.getNode('r1')!, (s) => s.fill === 'red', 'red on r1');
      assert.match(String(red.text), /status\.badProxy/);
      assert.ok(!visible(['r1']).includes('pa%ss-word'));
    } finally {
      restore();
    }
  });

  it('has every proxy text in both catalogs, with the parts it fills in', () => {
    for (const lang of ['en-US', 'zh-CN']) {
      const catalog = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'locales', lang, 'dingtalk-stream-app.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      const text = (key: string): string => {
        const value = key
          .split('.')
          .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), catalog['dingtalk-stream-app']);
        assert.equal(typeof value, 'string', `${lang}: ${key}`);
        return value as string;
      };
      assert.match(text('status.badProxy'), /__reason__/);
      for (const part of ['__proxy__', '__source__', '__reason__'])
        assert.ok(text('errors.badProxy').includes(part), `${lang}: errors.badProxy has ${part}`);
      assert.match(text('warn.proxyCredentialsInUrl'), /__app__/);
      assert.match(text('proxySource.env'), /__name__/);
      for (const key of [
        'proxyProblem.notUrl',
        'proxyProblem.scheme',
        'proxyProblem.escape',
        'proxySource.field',
        'label.proxyUser',
        'label.proxyPassword',
        'tip.proxyMoved',
      ])
        text(key);
    }
  });
});
