/**
 * The package as a user has it: installed in a Node-RED user directory and loaded by the runtime's own loader (the
 * test helper registers node modules itself and skips it). Node-RED 4 require()s node files, Node-RED 5 import()s
 * them; the compatibility run (test/compat) runs this file against both. Read through the editor's admin API.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNodeRedProcess, type NodeRedProcess } from '../reliability/node-red-process';

const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  'node-red': { nodes: Record<string, string> };
};
const TYPES = Object.keys(pkg['node-red'].nodes).sort();

interface NodeSet {
  module: string;
  types: string[];
  enabled: boolean;
  version?: string;
  err?: unknown;
}

describe('the package loaded by the Node-RED runtime from a user directory', function () {
  let red: NodeRedProcess;

  before(async () => {
    red = await startNodeRedProcess([], {});
  });

  after(async () => {
    await red?.stop();
  });

  async function admin(path: string, accept: string): Promise<string> {
    const res = await fetch(`${red.url}/admin${path}`, { headers: { Accept: accept } });
    const body = await res.text();
    assert.equal(res.status, 200, `GET /admin${path} (${accept}): ${body.slice(0, 500)}\n${red.stderr()}`);
    return body;
  }

  it('registers every node type of package.json, enabled, without a load error', async () => {
    const sets = (JSON.parse(await admin('/nodes', 'application/json')) as NodeSet[]).filter((s) => s.module === pkg.name);
    assert.deepEqual(sets.flatMap((s) => s.types).sort(), TYPES);
    for (const set of sets) {
      assert.equal(set.err, undefined, `${set.types.join()}: ${String(set.err)}`);
      assert.equal(set.enabled, true, set.types.join());
      assert.equal(set.version, pkg.version);
    }
  });

  it('serves every node its help, and its messages in en-US and zh-CN', async () => {
    // With disableEditor the runtime serves the help of each node but not its edit template.
    const html = await admin('/nodes', 'text/html');
    for (const type of TYPES) {
      assert.match(html, new RegExp(`data-help-name=["']?${type}["' >]`), `${type} help`);
    }
    const catalogs = async (lng: string): Promise<Record<string, Record<string, unknown>>> =>
      JSON.parse(await admin(`/nodes/messages?lng=${lng}`, 'application/json')) as Record<string, Record<string, unknown>>;
    const [en, zh] = [await catalogs('en-US'), await catalogs('zh-CN')];
    for (const type of TYPES) {
      const namespace = `${pkg.name}/${type}`;
      assert.ok(en[namespace]?.[type], `${namespace} en-US messages`);
      assert.ok(zh[namespace]?.[type], `${namespace} zh-CN messages`);
      assert.notDeepEqual(zh[namespace]?.[type], en[namespace]?.[type], `${namespace}: zh-CN is its own translation`);
    }
  });
});
