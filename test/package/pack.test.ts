/**
 * What a user installs: the file list of `npm pack --dry-run` holds the nodes, the runtime library, the examples and
 * the simulator (a bin), and nothing of the repo's development: no tests, bench, tools, source maps, TypeScript, docs
 * or CI. npm packs a directory offline; scripts are skipped because `prepare` would rebuild the dist/ that `npm test`
 * has just built. The last test unpacks the real tarball and runs its bin, the way `npx dingtalk-simulator` does.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, sep } from 'node:path';
import { z } from 'zod';

const ROOT = join(__dirname, '..', '..', '..');
const pkg = z
  .object({
    'node-red': z.object({ nodes: z.record(z.string(), z.string()) }),
    bin: z.record(z.string(), z.string()).optional(),
    dependencies: z.record(z.string(), z.string()).default({}),
  })
  .parse(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')));

const PackResult = z.array(
  z.object({
    filename: z.string(),
    size: z.number(),
    unpackedSize: z.number(),
    entryCount: z.number(),
    files: z.array(z.object({ path: z.string(), size: z.number(), mode: z.number() })),
  }),
);
type Pack = z.infer<typeof PackResult>[number];

/**
 * The npm that runs the tests (npm_execpath; its npm-cli.js when that is npx), not the `npm` first on PATH: under npm
 * scripts that is node_modules/.bin/npm, an older npm that Node-RED depends on.
 */
const NPM_CLI = process.env['npm_execpath'] ? join(dirname(process.env['npm_execpath']), 'npm-cli.js') : undefined;

/** npm with no registry access: --offline, and no update check. */
function npm(args: string[], cwd: string): string {
  const [command, prefix] = NPM_CLI && existsSync(NPM_CLI) ? [process.execPath, [NPM_CLI]] : ['npm', []];
  const res = spawnSync(command, [...prefix, ...args, '--offline'], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  assert.equal(res.status, 0, `npm ${args.join(' ')} in ${cwd}: ${res.error?.message ?? ''}\n${res.stderr.slice(-2000)}`);
  return res.stdout;
}

function pack(args: string[]): Pack {
  const [result] = PackResult.parse(JSON.parse(npm(['pack', '--json', '--ignore-scripts', ...args], ROOT)));
  assert.ok(result, 'npm pack --json printed no result');
  return result;
}

const kB = (bytes: number): string => `${(bytes / 1000).toFixed(0)} kB`;

/** What must never ship, each with why a user does not need it. */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/^dist\/test\//, 'compiled tests'],
  [/^dist\/bench\//, 'compiled benchmarks'],
  [/^dist\/src\/tools\//, 'dev tools (playground, screenshots, check:deps, build steps)'],
  [/\.map$/, 'source maps (they point at TypeScript sources that are not shipped)'],
  [/\.ts$/, 'TypeScript sources and declarations'],
  [/^(src|nodes|test|bench|docs|locales|icons|\.ci)\//, 'repo folders (sources, docs, CI; locales/icons ship inside dist/nodes)'],
];
const ALLOWED = [/^(package\.json|README\.md|LICENSE)$/, /^dist\/nodes\//, /^dist\/src\//, /^examples\/[^/]+\.json$/];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => f.split(sep).join('/'));
}

describe('package: what npm pack ships', function () {
  this.timeout(120_000);
  let listing: Pack;
  let shipped: Map<string, number>;

  before(() => {
    listing = pack(['--dry-run']);
    shipped = new Map(listing.files.map((f) => [f.path, f.mode]));
    console.log(`      npm pack --dry-run: ${listing.entryCount} files, ${kB(listing.size)} packed, ${kB(listing.unpackedSize)} unpacked`);
  });

  it('holds only the nodes, the runtime library, the examples, README, LICENSE and package.json', () => {
    for (const [pattern, what] of FORBIDDEN) {
      const found = [...shipped.keys()].filter((p) => pattern.test(p));
      assert.deepEqual(found.slice(0, 20), [], `${what} must not ship (package.json "files"): ${found.length} files`);
    }
    const stray = [...shipped.keys()].filter((p) => !ALLOWED.some((a) => a.test(p)));
    assert.deepEqual(stray, [], 'files outside dist/nodes, dist/src, examples: add a "!" entry to package.json "files" or ship them on purpose');
  });

  it("ships every node type's .js and .html, its help and messages in en-US and zh-CN, and its icon", () => {
    const types = Object.entries(pkg['node-red'].nodes);
    assert.ok(types.length >= 9, 'node-red.nodes lists the node types');
    for (const [type, file] of types) {
      const dir = posix.dirname(file);
      const expected = [file, `${dir}/${type}.html`];
      for (const lang of ['en-US', 'zh-CN']) expected.push(`${dir}/locales/${lang}/${type}.json`, `${dir}/locales/${lang}/${type}.html`);
      const icon = /\bicon:\s*['"]([^'"/]+)['"]/.exec(readFileSync(join(ROOT, 'nodes', `${type}.html`), 'utf8'))?.[1];
      if (icon) expected.push(`${dir}/icons/${icon}`);
      for (const path of expected) assert.ok(shipped.has(path), `${type}: ${path} is not in the package`);
    }
    for (const icon of readdirSync(join(ROOT, 'icons'))) assert.ok(shipped.has(`dist/nodes/icons/${icon}`), `icon ${icon}`);
  });

  it('ships every example flow', () => {
    const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.json'));
    assert.ok(examples.length > 0);
    for (const file of examples) assert.ok(shipped.has(`examples/${file}`), `examples/${file}`);
  });

  it('ships every file a shipped module requires; other requires are runtime dependencies or Node built-ins', () => {
    const builtins = new Set(builtinModules);
    const external = new Set(Object.keys(pkg.dependencies));
    const problems: string[] = [];
    for (const file of [...shipped.keys()].filter((p) => p.endsWith('.js'))) {
      const source = readFileSync(join(ROOT, file), 'utf8');
      for (const [, , spec] of source.matchAll(/\b(?:require|import)\((['"])([^'"]+)\1\)/g)) {
        if (!spec) continue;
        if (spec.startsWith('.')) {
          const base = posix.join(posix.dirname(file), spec);
          if (![base, `${base}.js`, `${base}.json`, `${base}/index.js`].some((p) => shipped.has(p)))
            problems.push(`${file} requires ${spec}: not shipped`);
        } else {
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!builtins.has(spec.replace(/^node:/, '')) && !external.has(name)) problems.push(`${file} requires ${spec}: not a runtime dependency`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('has the simulator as an executable bin with a node shebang', () => {
    const bins = Object.entries(pkg.bin ?? {});
    assert.deepEqual(
      bins.map(([name]) => name),
      ['dingtalk-simulator'],
    );
    for (const [name, file] of bins) {
      const mode = shipped.get(file);
      assert.ok(mode !== undefined, `bin ${name}: ${file} is not in the package`);
      assert.equal(mode & 0o111, 0o111, `bin ${name}: ${file} has mode ${mode.toString(8)}, not executable`);
      assert.match(readFileSync(join(ROOT, file), 'utf8'), /^#!\/usr\/bin\/env node\n/, `bin ${name}: shebang`);
    }
  });

  describe('the real tarball, unpacked', () => {
    let tmp: string;
    let unpacked: string;

    before(() => {
      tmp = mkdtempSync(join(tmpdir(), 'dingtalk-pack-'));
      const tarball = pack(['--pack-destination', tmp]);
      const untar = spawnSync('tar', ['-xzf', join(tmp, tarball.filename), '-C', tmp], { encoding: 'utf8' });
      assert.equal(untar.status, 0, `tar: ${untar.error?.message ?? untar.stderr}`);
      unpacked = join(tmp, 'package');
    });

    after(() => {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it('holds exactly the files of the dry run', () => {
      assert.deepEqual(filesUnder(unpacked).sort(), [...shipped.keys()].sort());
    });

    it('runs `prepare` as a no-op where there are no sources (an install from the unpacked package)', () => {
      npm(['run', 'prepare'], unpacked);
    });

    it('runs the simulator from its bin, as npx does, serving its API and its page', async () => {
      // The runtime dependencies an install would put beside it.
      symlinkSync(join(ROOT, 'node_modules'), join(unpacked, 'node_modules'), 'junction');
      const bin = join(unpacked, pkg.bin?.['dingtalk-simulator'] ?? 'missing');
      // Executed as a file, not through `node`: the shebang and the mode are what the .bin link relies on.
      const proc = spawn(bin, ['--port', '0']);
      try {
        let out = '';
        proc.stderr.on('data', (chunk: Buffer) => void (out += chunk.toString()));
        const apiBase = await new Promise<string>((resolve, reject) => {
          proc.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const match = /apiBase:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
            if (match) resolve(match[1]!);
          });
          proc.once('error', reject);
          proc.once('exit', (code) => reject(new Error(`${relative(tmp, bin)} exited early with ${code}: ${out}`)));
        });
        const page = await fetch(`${apiBase}/`, { headers: { Accept: 'text/html' } });
        assert.equal(page.status, 200, 'the simulator page (dist/src/simulator/public) is served');
        assert.match(await page.text(), /<html/i);
        const state = await fetch(`${apiBase}/sim/state`, { headers: { Accept: 'application/json' } });
        assert.equal(state.status, 200);
        const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
        proc.kill('SIGTERM');
        assert.equal(await exited, 0);
      } finally {
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
    });
  });
});
