import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPlaygroundFlows, PLAYGROUND_APP_ID, PLAYGROUND_EXAMPLES, pointAppAt } from '../../src/tools/playground-flows';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');

type Node = { id: string; type: string; z?: string; app?: string; wires?: string[][]; scope?: string[] | null };

describe('the playground flows', () => {
  const { flows, credentials } = buildPlaygroundFlows(EXAMPLES, 'http://127.0.0.1:8780') as { flows: Node[]; credentials: unknown };

  it('puts each example on its own tab, all on one app with only environment references as credentials', () => {
    assert.deepEqual(
      flows.filter((n) => n.type === 'tab').map((n) => (n as { label?: string }).label),
      PLAYGROUND_EXAMPLES.map((e) => e.label),
    );
    const apps = flows.filter((n) => n.type === 'dingtalk-stream-app');
    assert.deepEqual(apps, [
      { id: PLAYGROUND_APP_ID, type: 'dingtalk-stream-app', name: 'Playground app', apiBase: 'http://127.0.0.1:8780', robotCode: '', proxy: '' },
    ]);
    assert.deepEqual(credentials, { [PLAYGROUND_APP_ID]: { clientId: '${DINGTALK_CLIENT_ID}', clientSecret: '${DINGTALK_CLIENT_SECRET}' } });
    for (const node of flows.filter((n) => n.app !== undefined)) assert.equal(node.app, PLAYGROUND_APP_ID, node.id);
  });

  it('keeps every example node, wired as in the example, with unique ids', () => {
    const ids = new Set(flows.map((n) => n.id));
    assert.equal(ids.size, flows.length, 'unique ids');
    for (const { file } of PLAYGROUND_EXAMPLES) {
      const example = JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as Node[];
      const tab = flows.find((n) => n.type === 'tab' && n.id.endsWith(file.replace(/\.json$/, '')));
      assert.ok(tab, file);
      const copies = flows.filter((n) => n.z === tab.id);
      assert.equal(copies.length, example.filter((n) => n.type !== 'dingtalk-stream-app' && n.type !== 'tab').length, file);
      for (const copy of copies) {
        const original: Node | undefined = example.find((n) => `${tab.id}-${n.id}` === copy.id);
        assert.ok(original, copy.id);
        assert.deepEqual(
          copy.wires,
          original.wires?.map((port) => port.map((id) => `${tab.id}-${id}`)),
          `${file}: wires of ${original.id}`,
        );
        if (Array.isArray(original.scope))
          assert.deepEqual(
            copy.scope,
            original.scope.map((id) => `${tab.id}-${id}`),
          );
      }
    }
    for (const node of flows) for (const target of (node.wires ?? []).flat()) assert.ok(ids.has(target), `${node.id} -> ${target}`);
  });

  it("points saved flows' playground app at another API base and changes nothing else", () => {
    const edited = flows.map((n) => (n.type === 'function' ? { ...n, name: 'edited' } : n));
    const moved = pointAppAt(edited, 'https://api.dingtalk.com');
    assert.ok(moved);
    assert.equal((moved.find((n) => n.id === PLAYGROUND_APP_ID) as { apiBase?: string }).apiBase, 'https://api.dingtalk.com');
    assert.deepEqual(
      moved.filter((n) => n.id !== PLAYGROUND_APP_ID),
      edited.filter((n) => n.id !== PLAYGROUND_APP_ID),
    );
    assert.equal(pointAppAt(moved, 'https://api.dingtalk.com'), undefined, 'already there');
    assert.equal(
      pointAppAt(
        moved.filter((n) => n.id !== PLAYGROUND_APP_ID),
        'http://x',
      ),
      undefined,
      'app deleted by the user',
    );
  });
});
