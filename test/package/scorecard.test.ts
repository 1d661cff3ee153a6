/**
 * The flows-library scorecard, checked offline (`npx node-red-dev validate` stops at its online catalogue check
 * here). "Each runtime dependency on its latest major" needs the npm registry, so it is `npm run check:deps`, outside
 * `npm test`.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { COMPAT_RUNS, installedVersion } from '../compat/matrix';

const root = join(__dirname, '..', '..', '..');
interface PackageJson {
  name: string;
  version: string;
  license?: string;
  repository?: { type: string; url: string } | string;
  keywords?: string[];
  engines?: { node?: string };
  files?: string[];
  dependencies?: Record<string, string>;
  'node-red'?: { version?: string; nodes?: Record<string, string> };
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
const nodeTypes = Object.keys(pkg['node-red']?.nodes ?? {});
const CONFIG_NODE = 'dingtalk-stream-app';

describe('package scorecard', () => {
  it('has a scoped name, licence, repository, keyword node-red, node-red.version and engines.node', () => {
    assert.match(pkg.name, /^@[a-z0-9-]+\/node-red-/);
    assert.equal(pkg.license, 'Apache-2.0');
    assert.ok(existsSync(join(root, 'LICENSE')), 'LICENSE file');
    const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    assert.ok(repo && /github\.com/.test(repo), 'repository url');
    assert.ok(pkg.keywords?.includes('node-red'), 'keyword node-red');
    assert.ok(semver.validRange(pkg['node-red']?.version ?? ''), 'node-red.version is a semver range');
    assert.ok(semver.validRange(pkg.engines?.node ?? ''), 'engines.node');
    assert.ok(semver.satisfies('20.18.1', pkg.engines?.node ?? ''), 'Node.js 20 supported');
  });

  it('accepts the Node and Node-RED versions npm test runs on; claims only tested Node majors and Node-RED >=4.0.0', () => {
    const nodeRange = pkg.engines?.node ?? '';
    const nodeRedRange = pkg['node-red']?.version ?? '';
    const testedNode = [process.versions.node, ...COMPAT_RUNS.map((r) => installedVersion(r.node))];
    const testedNodeRed = [installedVersion('node-red'), ...COMPAT_RUNS.map((r) => installedVersion(r.nodeRed))];
    for (const v of testedNode) assert.ok(semver.satisfies(v, nodeRange), `engines.node ${nodeRange} accepts the tested Node ${v}`);
    for (const v of testedNodeRed) assert.ok(semver.satisfies(v, nodeRedRange), `node-red.version ${nodeRedRange} accepts the tested Node-RED ${v}`);
    const majors = (versions: string[]): number[] => [...new Set(versions.map((v) => semver.major(v)))].sort((a, b) => a - b);
    const claimed = (range: string, upTo: number): number[] =>
      Array.from({ length: upTo + 1 }, (_, m) => m).filter((m) => semver.intersects(range, `${m}.x`));
    assert.deepEqual(claimed(nodeRange, 40), majors(testedNode), `engines.node ${nodeRange} claims only tested Node majors`);
    // The stack's choice (the project guide): nodes written for Node-RED 4 run on 5, and the flows library reads this
    // field as "works from 4.0 on"; the compat run checks the newest major we know of.
    assert.equal(nodeRedRange, '>=4.0.0');
  });

  it('has at most 6 runtime dependencies', () => {
    assert.ok(Object.keys(pkg.dependencies ?? {}).length <= 6);
  });

  it('maps every node type to a compiled file with its html, and help and messages in en-US and zh-CN', () => {
    assert.ok(nodeTypes.length >= 9);
    for (const [type, file] of Object.entries(pkg['node-red']?.nodes ?? {})) {
      const js = join(root, file);
      assert.ok(existsSync(js), `${file} is built`);
      const dir = join(js, '..');
      const base = type;
      assert.ok(existsSync(join(dir, `${base}.html`)), `${base}.html beside ${file}`);
      for (const lang of ['en-US', 'zh-CN']) {
        const messages = join(dir, 'locales', lang, `${base}.json`);
        const help = join(dir, 'locales', lang, `${base}.html`);
        assert.ok(existsSync(messages), `${lang}/${base}.json`);
        assert.ok(existsSync(help), `${lang}/${base}.html (info-panel help)`);
        assert.doesNotThrow(() => JSON.parse(readFileSync(messages, 'utf8')), `${lang}/${base}.json parses`);
      }
    }
  });

  it('publishes what the runtime needs', () => {
    for (const entry of ['dist/', 'examples/']) assert.ok(pkg.files?.includes(entry), `files includes ${entry}`);
  });

  it('has example flows that together use every non-config node, with no credentials in them', () => {
    const dir = join(root, 'examples');
    const used = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const text = readFileSync(join(dir, file), 'utf8');
      const flow = JSON.parse(text) as Array<{ type: string; credentials?: unknown }>;
      assert.ok(Array.isArray(flow), `${file} is a flow array`);
      for (const node of flow) {
        used.add(node.type);
        assert.equal(node.credentials, undefined, `${file}: no credentials exported`);
      }
      assert.doesNotMatch(text, /clientSecret"\s*:\s*"[^"]+"/, `${file}: no clientSecret`);
    }
    const missing = nodeTypes.filter((t) => t !== CONFIG_NODE && !used.has(t));
    assert.deepEqual(missing, [], 'every non-config node appears in an example flow');
  });
});
