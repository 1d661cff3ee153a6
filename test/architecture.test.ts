import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The layer rules of docs/ARCHITECTURE.md, checked on the sources, and the paths that document names: a rule broken
 * or a file moved fails here instead of leaving the document wrong.
 */
const REPO = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(REPO, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sources(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

interface Import {
  /** As written. */
  spec: string;
  /** Repository-relative path without extension for a relative import; undefined for a package. */
  target: string | undefined;
}

const SPECIFIER = /\bfrom\s+'([^']+)'|\bimport\s+'([^']+)'|\b(?:require|require\.resolve|import)\(\s*'([^']+)'/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(join(REPO, file), 'utf8');
  const out: Import[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const spec = (match[1] ?? match[2] ?? match[3])!;
    const target = spec.startsWith('.')
      ? relative(REPO, resolve(REPO, dirname(file), spec))
          .split(sep)
          .join('/')
      : undefined;
    out.push({ spec, target });
  }
  return out;
}

function inside(path: string, area: string): boolean {
  return path === area || path.startsWith(`${area}/`);
}

const FILES = [...sources('src'), ...sources('nodes')].map((file) => ({ file, imports: importsOf(file) }));

/** `file imports spec` for every import of the files in `area` (minus `except`) that `bad` flags. */
function violations(area: string, bad: (imp: Import) => boolean, except: string[] = []): string[] {
  return FILES.filter(({ file }) => inside(file, area) && !except.some((e) => inside(file, e))).flatMap(({ file, imports }) =>
    imports.filter(bad).map((imp) => `${file} imports ${imp.spec}`),
  );
}

const NETWORK_MODULES = new Set(['undici', 'ws', 'http', 'https', 'net', 'tls', 'node:http', 'node:https', 'node:net', 'node:tls']);

describe('architecture (docs/ARCHITECTURE.md)', () => {
  it('finds the imports it checks', () => {
    const client = FILES.find((f) => f.file === 'src/stream/client.ts');
    assert.ok(
      client?.imports.some((imp) => imp.target === 'src/stream/router'),
      'src/stream/client.ts imports ./router',
    );
    assert.ok(
      client?.imports.some((imp) => imp.spec === 'undici'),
      'src/stream/client.ts imports undici',
    );
  });

  it('nothing in src/ imports Node-RED or nodes/ (src/tools/ may start Node-RED)', () => {
    const nodeRed = (imp: Import): boolean => /^(node-red|@node-red\/)/.test(imp.spec) || (imp.target !== undefined && inside(imp.target, 'nodes'));
    assert.deepEqual(violations('src', nodeRed, ['src/tools']), []);
  });

  it('src/stream/ and src/api/ do not import each other', () => {
    assert.deepEqual(
      violations('src/stream', (imp) => imp.target !== undefined && inside(imp.target, 'src/api')),
      [],
    );
    assert.deepEqual(
      violations('src/api', (imp) => imp.target !== undefined && inside(imp.target, 'src/stream')),
      [],
    );
  });

  it('src/util/ imports nothing else from the package; src/errors.ts and src/contract.ts import nothing of it', () => {
    assert.deepEqual(
      violations('src/util', (imp) => imp.target !== undefined && !inside(imp.target, 'src/util')),
      [],
    );
    assert.deepEqual(
      violations('src/errors.ts', (imp) => imp.target !== undefined),
      [],
    );
    assert.deepEqual(
      violations('src/contract.ts', (imp) => imp.target !== undefined),
      [],
    );
  });

  it('src/simulator/ imports only itself, src/contract.ts and src/util/; only src/tools/ imports it', () => {
    const foreign = (imp: Import): boolean =>
      imp.target !== undefined && !['src/simulator', 'src/contract', 'src/util'].some((area) => inside(imp.target!, area));
    assert.deepEqual(violations('src/simulator', foreign), []);
    const simulator = (imp: Import): boolean => imp.target !== undefined && inside(imp.target, 'src/simulator');
    assert.deepEqual([...violations('src', simulator, ['src/simulator', 'src/tools']), ...violations('nodes', simulator)], []);
  });

  it('src/msg/ makes no network call', () => {
    assert.deepEqual(
      violations('src/msg', (imp) => NETWORK_MODULES.has(imp.spec)),
      [],
    );
  });

  it('every path docs/ARCHITECTURE.md names exists', () => {
    const text = readFileSync(join(REPO, 'docs', 'ARCHITECTURE.md'), 'utf8');
    const paths = [...text.matchAll(/`((?:src|nodes|test|docs|bench|locales)\/[^`\s]*)`/g)].map((m) => m[1]!);
    assert.ok(paths.length > 40, `found ${paths.length} paths`);
    // `<area>` placeholders and `*` patterns name a kind of file, not one.
    const missing = paths.filter((p) => !/[<*]/.test(p) && !existsSync(join(REPO, p)));
    assert.deepEqual(missing, []);
  });

  it('docs/adr/README.md lists every ADR, and only those', () => {
    const adrs = readdirSync(join(REPO, 'docs', 'adr')).filter((name) => /^\d{4}-.*\.md$/.test(name));
    const index = readFileSync(join(REPO, 'docs', 'adr', 'README.md'), 'utf8');
    const linked = [...index.matchAll(/\]\((\d{4}-[^)]+\.md)\)/g)].map((m) => m[1]!);
    assert.deepEqual(linked.sort(), adrs.sort());
  });
});
