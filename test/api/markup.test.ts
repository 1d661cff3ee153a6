import assert from 'node:assert/strict';
import fc from 'fast-check';
import { htmlTitle, stripTags } from '../../src/api/markup';

/** The linear scanners must say what the regexes they replace said; random markup-ish text checks it. */
describe('api/markup', () => {
  const markupish = fc
    .array(fc.constantFrom('<', '>', '/', 'title', 'TiTlE', '</title>', '</TITLE>', ' lang="x"', 'a', ' ', '\n', 'x'.repeat(70), 'İ'), {
      maxLength: 14,
    })
    .map((parts) => parts.join(''));

  it('htmlTitle finds what /<title[^>]*>([^<]{1,120})<\\/title>/i found', () => {
    fc.assert(
      fc.property(markupish, (text) => {
        assert.equal(htmlTitle(text), /<title[^>]*>([^<]{1,120})<\/title>/i.exec(text)?.[1]);
      }),
      { numRuns: 5_000 },
    );
  });

  it('stripTags replaces what /<[^>]*>/g replaced', () => {
    fc.assert(
      fc.property(markupish, (text) => {
        assert.equal(stripTags(text), text.replace(/<[^>]*>/g, ' '));
      }),
      { numRuns: 5_000 },
    );
  });
});
