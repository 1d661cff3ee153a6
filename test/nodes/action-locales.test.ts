import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every text the action nodes show is in their catalogs: status and warning keys in en-US and zh-CN, and every
 * input-error code in zh-CN (en-US uses the English text the code builds, which names the exact msg property).
 */
const root = join(__dirname, '..', '..', '..');
const read = (rel: string): string => readFileSync(join(root, rel), 'utf8');

const SOURCES: Record<string, string[]> = {
  'dingtalk-reply': ['nodes/dingtalk-reply.ts', 'src/msg/reply-input.ts', 'src/msg/outbound-message.ts', 'src/msg/input-error.ts', 'src/msg/plain-json.ts'],
  'dingtalk-send': ['nodes/dingtalk-send.ts', 'src/msg/send-input.ts', 'src/msg/outbound-message.ts', 'src/msg/input-error.ts', 'src/msg/plain-json.ts'],
  'dingtalk-card': ['nodes/dingtalk-card.ts', 'src/msg/card-input.ts', 'src/msg/input-error.ts', 'src/msg/plain-json.ts'],
  'dingtalk-file': ['nodes/dingtalk-file.ts', 'src/msg/file-input.ts', 'src/msg/save-file.ts', 'src/msg/input-error.ts'],
};
const COMMON = 'nodes/shared/action-runner.ts';

function lookup(catalog: Record<string, unknown>, key: string): unknown {
  return key.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), catalog);
}

function keysUsed(files: string[]): { texts: Set<string>; codes: Set<string> } {
  const texts = new Set<string>();
  const codes = new Set<string>();
  for (const file of files) {
    const src = read(file);
    for (const m of src.matchAll(/\bt\(\s*'((?:status|warn|errors)\.[A-Za-z.]+)'/g)) texts.add(m[1]!);
    for (const m of src.matchAll(/new MsgInputError\(\s*'([A-Za-z]+)'/g)) codes.add(m[1]!);
  }
  return { texts, codes };
}

describe('action node catalogs', () => {
  for (const [type, files] of Object.entries(SOURCES)) {
    it(`${type}: every status, warning and error text is translated`, () => {
      const { texts, codes } = keysUsed([...files, COMMON]);
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
        for (const label of ['paletteLabel', 'label.app', 'label.name']) assert.equal(typeof lookup(mine, label), 'string', `${lang}/${type}.json has ${label}`);
      }
    });
  }
});
