import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INPUT_ERROR_NODES, type ActionNodeType } from '../../src/msg/input-error';

/**
 * Every text the action nodes show is in their catalogs: status and warning keys in en-US and zh-CN, and every
 * input-error code a node raises (INPUT_ERROR_NODES) in zh-CN (en-US uses the English text the code builds, which
 * names the exact msg property).
 */
const root = join(__dirname, '..', '..', '..');
const read = (rel: string): string => readFileSync(join(root, rel), 'utf8');

/** Where each node calls its translator (the Node-RED-free code below nodes/ has none). */
const SOURCES: Record<ActionNodeType, string[]> = {
  'dingtalk-reply': ['nodes/dingtalk-reply.ts'],
  'dingtalk-send': ['nodes/dingtalk-send.ts'],
  'dingtalk-card': ['nodes/dingtalk-card.ts'],
  'dingtalk-file': ['nodes/dingtalk-file.ts'],
  'dingtalk-api': ['nodes/dingtalk-api.ts'],
  'dingtalk-approval': ['nodes/dingtalk-approval.ts'],
};
const COMMON = 'nodes/shared/action-runner.ts';

function lookup(catalog: Record<string, unknown>, key: string): unknown {
  return key.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), catalog);
}

function textsUsed(files: string[]): Set<string> {
  const texts = new Set<string>();
  for (const file of files) {
    for (const m of read(file).matchAll(/\bt\(\s*'((?:status|warn|errors)\.[A-Za-z.]+)'/g)) texts.add(m[1]!);
  }
  return texts;
}

function inputErrorCodes(type: ActionNodeType): Set<string> {
  const nodesOf: Record<string, readonly ActionNodeType[]> = INPUT_ERROR_NODES;
  return new Set(Object.keys(nodesOf).filter((code) => nodesOf[code]!.includes(type)));
}

describe('action node catalogs', () => {
  for (const [type, files] of Object.entries(SOURCES) as Array<[ActionNodeType, string[]]>) {
    it(`${type}: every status, warning and error text is translated`, () => {
      const texts = textsUsed([...files, COMMON]);
      const codes = inputErrorCodes(type);
      assert.ok(texts.size > 3 && codes.size > 0, 'the scan found the keys');
      for (const lang of ['en-US', 'zh-CN']) {
        const catalog = JSON.parse(read(`locales/${lang}/${type}.json`)) as Record<string, Record<string, unknown>>;
        const mine = catalog[type]!;
        for (const key of texts) {
          if (key.startsWith('errors.') && lang === 'en-US') continue;
          assert.equal(typeof lookup(mine, key), 'string', `${lang}/${type}.json has ${key}`);
        }
        if (lang === 'zh-CN') {
          for (const code of codes) assert.equal(typeof lookup(mine, `errors.${code}`), 'string', `zh-CN/${type}.json has errors.${code}`);
        }
        for (const label of ['paletteLabel', 'label.app', 'label.name'])
          assert.equal(typeof lookup(mine, label), 'string', `${lang}/${type}.json has ${label}`);
      }
    });
  }
});
