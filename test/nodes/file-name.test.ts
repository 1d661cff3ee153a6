import assert from 'node:assert/strict';
import { DOWNLOAD_LIMIT_MB, downloadLimitBytes, outputFileName } from '../../src/msg/file-input';
import { FILE_NAME_MAX_BYTES, cutToBytes, safeFileName } from '../../src/msg/file-name';
import { MsgInputError } from '../../src/msg/input-error';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const count = (s: string, part: string): number => s.split(part).length - 1;
/** True when the string has a lone surrogate or U+FFFD: what a cut inside a surrogate pair leaves on disk. */
const broken = (s: string): boolean => /\uFFFD|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

/** The name cleaning of dingtalk-file, without Node-RED: what is written to disk is what msg.filename says. */
describe('dingtalk-file names', () => {
  it('shortens long Chinese names by UTF-8 bytes, once, keeping exactly one extension', () => {
    // 67 (just over the old 200-byte check), 93 (ENAMETOOLONG before), 116 and 300 Chinese characters.
    for (const n of [60, 66, 67, 93, 116, 120, 300]) {
      const name = `${'长'.repeat(n)}.docx`;
      const clean = safeFileName(name);
      assert.ok(bytes(clean) <= FILE_NAME_MAX_BYTES, `${n}: ${bytes(clean)} bytes`);
      assert.equal(count(clean, '.docx'), 1, `${n}: ${clean.slice(-20)}`);
      assert.ok(clean.endsWith('.docx'));
      assert.equal(safeFileName(clean), clean, `${n}: cleaning twice changes nothing`);
      if (bytes(name) <= FILE_NAME_MAX_BYTES) assert.equal(clean, name, `${n}: a name that fits is kept`);
      else assert.equal(bytes(clean), FILE_NAME_MAX_BYTES - ((FILE_NAME_MAX_BYTES - 5) % 3), `${n}: as long as whole characters allow`);
    }
  });

  it('never cuts inside an emoji or a character sequence', () => {
    for (const pad of [0, 1, 2, 3]) {
      const emoji = safeFileName(`${'a'.repeat(pad)}${'😀'.repeat(150)}.txt`);
      assert.ok(!broken(emoji), `pad ${pad}: ${JSON.stringify(emoji.slice(-8))}`);
      assert.ok(bytes(emoji) <= FILE_NAME_MAX_BYTES && emoji.endsWith('😀.txt'));
    }
    const family = '👨‍👩‍👧‍👦'; // 4 people joined by ZWJ: 25 bytes, one character on screen
    for (let pad = 170; pad <= 196; pad++) {
      const clean = safeFileName(`${'a'.repeat(pad)}${family}${family}.txt`);
      const stem = clean.slice(pad, -4);
      assert.ok(stem === '' || stem === family || stem === family + family, `pad ${pad}: ${JSON.stringify(stem)}`);
    }
    // A letter with 300 accents is one "character" longer than the limit: cut between code points instead.
    const zalgo = safeFileName(`e${'\u0301'.repeat(300)}.txt`);
    assert.ok(zalgo.startsWith('é') && zalgo.endsWith('.txt') && bytes(zalgo) <= FILE_NAME_MAX_BYTES);
    assert.equal(cutToBytes('ab😀', 3), 'ab');
    assert.equal(cutToBytes('长长', 5), '长');
  });

  it('strips bidi controls and other invisible characters, and replaces control characters', () => {
    assert.equal(safeFileName('invoice\u202Efdp.exe'), 'invoicefdp.exe');
    assert.equal(safeFileName('a\u202Ab\u202Bc\u202Cd\u202De\u2066f\u2067g\u2068h\u2069i\u200Ej\u200Fk\u061Cl.txt'), 'abcdefghijkl.txt');
    assert.equal(safeFileName('\uFEFFbom\u200B.txt'), 'bom.txt');
    assert.equal(safeFileName('line\u2028break\u0085\u009F.txt'), 'line_break__.txt');
    assert.equal(safeFileName('lone\uD83D.txt'), 'lone_.txt');
    // Kept: ZWJ inside emoji sequences, tag characters of subdivision flags.
    assert.equal(safeFileName('👩‍💻.png'), '👩‍💻.png');
    assert.equal(safeFileName('🏴󠁧󠁢󠁳󠁣󠁴󠁿.png'), '🏴󠁧󠁢󠁳󠁣󠁴󠁿.png');
    // Long and bidi together: the override is gone before the cut.
    const long = safeFileName(`\u202E${'长'.repeat(93)}\u202C.docx`);
    assert.ok(!/[\u202A-\u202E]/.test(long) && long.endsWith('长.docx') && count(long, '.docx') === 1);
  });

  it('gives names that are only an extension, dots or invisible characters a usable name', () => {
    assert.equal(safeFileName('.docx'), 'docx');
    assert.equal(safeFileName('\u202E.docx'), 'docx');
    assert.equal(safeFileName('....'), 'file');
    assert.equal(safeFileName('\u202E\u200F'), 'file');
    assert.equal(safeFileName(`.${'x'.repeat(300)}`), 'x'.repeat(FILE_NAME_MAX_BYTES));
    // No extension-like tail: the whole name is cut. A long "extension" is not one.
    assert.equal(safeFileName('长'.repeat(100)), '长'.repeat(66));
    const sentence = safeFileName(`${'a'.repeat(250)}.this is not an extension`);
    assert.equal(bytes(sentence), FILE_NAME_MAX_BYTES);
    // Double extensions a sender chose stay as they are when the name fits; when cut, only the last is kept.
    assert.equal(safeFileName('a.tar.gz'), 'a.tar.gz');
    assert.match(safeFileName(`${'长'.repeat(100)}.tar.gz`), /长\.gz$/);
    // A cut that ends on dots or spaces does not leave them before the extension.
    const spaces = safeFileName(`${'a'.repeat(194)}     ${'b'.repeat(10)}.pdf`);
    assert.equal(spaces, `${'a'.repeat(194)}.pdf`);
  });

  it('is idempotent on awkward names, so msg.filename is the name on disk', () => {
    const names = [
      `${'长'.repeat(93)}.docx`,
      `${'😀'.repeat(120)}.txt`,
      `\u202E${'é'.repeat(150)}.pdf`,
      `..${'a '.repeat(150)}. .`,
      `${'e\u0301'.repeat(80)}.md`,
      '\\\\server\\share\\报告.xlsx',
      'a'.repeat(1_000_000),
    ];
    for (const name of names) {
      const once = safeFileName(name);
      assert.equal(safeFileName(once), once, JSON.stringify(name.slice(0, 20)));
      assert.ok(once !== '' && bytes(once) <= FILE_NAME_MAX_BYTES && !once.includes('/') && !broken(once));
    }
    assert.equal(
      outputFileName({ downloadCode: 'c', robotCode: 'r', fileName: `${'长'.repeat(93)}.docx` }, 'application/octet-stream'),
      safeFileName(`${'长'.repeat(93)}.docx`),
    );
  });

  it('reads the Size limit setting, and refuses values outside its range with an error naming it', () => {
    const MIB = 1024 * 1024;
    assert.equal(downloadLimitBytes(undefined), 20 * MIB);
    assert.equal(downloadLimitBytes(''), 20 * MIB);
    assert.equal(downloadLimitBytes(' 5 '), 5 * MIB);
    assert.equal(downloadLimitBytes(0.001), 1049);
    assert.equal(downloadLimitBytes(DOWNLOAD_LIMIT_MB.max), DOWNLOAD_LIMIT_MB.max * MIB);
    for (const bad of [0, -1, 0.000001, Number.NaN, Number.POSITIVE_INFINITY, 1025, 'abc', '20MB', true]) {
      assert.throws(
        () => downloadLimitBytes(bad),
        (e: unknown) =>
          e instanceof MsgInputError &&
          e.code === 'invalidSetting' &&
          e.property === 'maxSizeMB (node)' &&
          /Size limit \(maxSizeMB\) is .+: set a number of megabytes from 0\.001 to 1024, or leave it empty for 20\./.test(e.message),
        String(bad),
      );
    }
  });
});
