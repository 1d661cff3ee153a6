import assert from 'node:assert/strict';
import { isBlank, prefixWithinBytes, utf8Bytes, withCutMarker } from '../../src/api/stream-text';

describe('api/stream-text: fitting a streamed card text', () => {
  it('cuts by UTF-8 bytes without splitting a character or an emoji', () => {
    assert.equal(prefixWithinBytes('长长长', 7), '长长');
    assert.equal(prefixWithinBytes('a😀b', 4), 'a');
    assert.equal(prefixWithinBytes('a😀b', 5), 'a😀');
  });

  it('ends with a visible "…" and the note, within the limit, cutting at a word boundary', () => {
    const text = 'alpha beta gamma delta epsilon '.repeat(100);
    const out = withCutMarker(text, 300, '(cut)');
    assert.ok(utf8Bytes(out) <= 300);
    assert.ok(out.endsWith('…\n\n(cut)'));
    assert.match(out, /(alpha|beta|gamma|delta|epsilon)…/);
  });

  it('closes a code block the cut left open, so the note is not shown as code', () => {
    const out = withCutMarker(`Here:\n\`\`\`js\n${'const x = 1;\n'.repeat(100)}\`\`\`\nafter`, 200, 'note');
    assert.ok(utf8Bytes(out) <= 200);
    assert.equal(out.match(/^```/gm)?.length, 2);
    assert.ok(out.endsWith('```\n…\n\nnote'));
  });

  it('keeps a note that alone is too long within the limit', () => {
    assert.ok(utf8Bytes(withCutMarker('text', 10, '很长的说明文字很长的说明文字')) <= 10);
  });

  it('counts whitespace-only text as empty', () => {
    assert.equal(isBlank(' \n\t'), true);
    assert.equal(isBlank(' x '), false);
  });
});
