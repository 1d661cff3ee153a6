import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SIMULATOR_APP, makePng } from '../../src/simulator';
import { safeFileName } from '../../src/msg/file-name';
import { helper, loadAction, useNodeRedWithSimulator, visibleText } from './support';

const fileNode: unknown = require('../../nodes/dingtalk-file');
const DOWNLOAD = '/v1.0/robot/messageFiles/download';

describe('dingtalk-file node', function () {
  const env = useNodeRedWithSimulator();
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dingtalk-file-test-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads a file message into msg.payload with its name, type and size', async () => {
    const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file' });
    const dingtalk = env.sim.robotMessage({ msgtype: 'file' }).data as Record<string, any>;
    const { out, error } = await flow.send({ payload: 'ignored', dingtalk });
    assert.equal(error, undefined);
    const req = await env.sim.waitForRequest(DOWNLOAD);
    assert.deepEqual(req.body, { downloadCode: dingtalk['content'].downloadCode, robotCode: SIMULATOR_APP.robotCode });
    assert.ok(Buffer.isBuffer(out!['payload']));
    assert.match((out!['payload'] as Buffer).toString('utf8'), /DingTalk simulator file/);
    assert.equal(out!['filename'], 'report.txt');
    assert.match(out!['mimetype'] as string, /^text\/plain/);
    assert.equal(out!['size'], (out!['payload'] as Buffer).length);
    assert.equal(out!['filepath'], undefined);
    assert.equal(flow.statuses.at(-1)?.fill, 'green');
  });

  it('names a picture after its msgId with the extension of its type, and saves it in the directory', async () => {
    const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file', directory: dir });
    const dingtalk = env.sim.robotMessage({ msgtype: 'picture', msgId: 'msgAB+cd/ef==' }).data as Record<string, any>;
    const { out } = await flow.send({ dingtalk });
    assert.equal(out!['filename'], 'msgABcdef.png');
    assert.equal(out!['mimetype'], 'image/png');
    assert.equal(out!['filepath'], join(dir, 'msgABcdef.png'));
    assert.deepEqual(readFileSync(join(dir, 'msgABcdef.png')), out!['payload']);
    assert.deepEqual(readdirSync(dir), ['msgABcdef.png'], 'no temporary file is left behind');
  });

  it('takes msg.downloadCode over msg.dingtalk, and the robotCode of the app when the message has none', async () => {
    const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file' });
    const picture = env.sim.robotMessage({ msgtype: 'richText' }).data as Record<string, any>;
    const code = picture['content'].richText[1].downloadCode as string;
    const { out } = await flow.send({ downloadCode: code });
    assert.equal(out!['mimetype'], 'image/png');
    assert.deepEqual((await env.sim.waitForRequest(DOWNLOAD)).body, { downloadCode: code, robotCode: SIMULATOR_APP.robotCode });
  });

  it('cannot be steered out of its directory by the file name DingTalk sends', async () => {
    const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file', directory: dir });
    for (const evil of ['../../escape.txt', '/etc/passwd', '..\\..\\win.txt', 'a\u0000b.txt', '..', '.hidden']) {
      const dingtalk = env.sim.robotMessage({ msgtype: 'file', file: { data: Buffer.from('x'), contentType: 'text/plain', fileName: evil } }).data;
      const { out, error } = await flow.send({ dingtalk });
      assert.equal(error, undefined, `${JSON.stringify(evil)}: ${error?.['error']?.message}`);
      const path = out!['filepath'] as string;
      assert.ok(path.startsWith(`${dir}/`), `${JSON.stringify(evil)} was saved at ${path}`);
      assert.ok(!path.slice(dir.length + 1).includes('/'), `${JSON.stringify(evil)} made a subdirectory: ${path}`);
    }
    assert.deepEqual(readdirSync(dir).sort(), ['a_b.txt', 'escape.txt', 'file', 'hidden', 'passwd', 'win.txt']);
    assert.equal(safeFileName('../../x'), 'x');
  });

  it('shortens a file name of 500 000 dots from DingTalk in linear time (the old trim regex took minutes)', async () => {
    const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file', directory: dir });
    const fileName = `a${'. '.repeat(250_000)}b.txt`;
    const dingtalk = env.sim.robotMessage({ msgtype: 'file', file: { data: Buffer.from('x'), contentType: 'text/plain', fileName } }).data;
    const started = Date.now();
    const { out, error } = await flow.send({ dingtalk });
    assert.equal(error, undefined);
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    // The cut leaves only dots and spaces after the "a", which are trimmed: one extension stays.
    assert.equal(out!['filename'], 'a.txt');
  });

  it('stops a download past the size limit with a clear error, and the next one still works', async () => {
    const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file', maxSizeMB: 0.001, directory: dir });
    const big = env.sim.robotMessage({
      msgtype: 'file',
      file: { data: Buffer.alloc(64 * 1024, 1), contentType: 'application/zip', fileName: 'big.zip' },
    }).data;
    const { error } = await flow.send({ dingtalk: big });
    assert.match(error!['error'].message, /larger than the limit/);
    assert.deepEqual(readdirSync(dir), []);
    const small = env.sim.robotMessage({ msgtype: 'picture', file: { data: makePng(1, 1), contentType: 'image/png', fileName: 'p.png' } }).data;
    const { out } = await flow.send({ dingtalk: small });
    assert.ok(out);
  });

  it('saves long Chinese names (67, 93, 116 characters) once, with one extension, at msg.filepath', async () => {
    const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file', directory: dir });
    const saved: string[] = [];
    // 93 characters failed with ENAMETOOLONG after the download (279 bytes); 67-116 got ".docx.docx.docx" on disk.
    for (const n of [67, 93, 116]) {
      const fileName = `${'长'.repeat(n)}.docx`;
      const data = Buffer.from(`content of the ${n}-character name`);
      const dingtalk = env.sim.robotMessage({ msgtype: 'file', file: { data, contentType: 'application/octet-stream', fileName } }).data;
      const { out, error } = await flow.send({ dingtalk });
      assert.equal(error, undefined, `${n}: ${error?.['error']?.message}`);
      const filepath = out!['filepath'] as string;
      const filename = out!['filename'] as string;
      assert.equal(basename(filepath), filename, `${n}: msg.filename is the name on disk`);
      assert.ok(existsSync(filepath), `${n}: ${filepath} exists`);
      assert.deepEqual(readFileSync(filepath), data, `${n}: the file at msg.filepath has the content`);
      assert.equal(filename.split('.docx').length - 1, 1, `${n}: one extension in ${filename.slice(-20)}`);
      assert.ok(filename.endsWith('长.docx') && Buffer.byteLength(filename) <= 200, `${n}: ${Buffer.byteLength(filename)} bytes`);
      saved.push(filename);
    }
    assert.deepEqual(readdirSync(dir).sort(), [...new Set(saved)].sort(), 'exactly the reported files, no temporary file');
  });

  it('strips a right-to-left override, and never cuts inside an emoji, so msg.filepath names a real file', async () => {
    const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file', directory: dir });
    for (const [fileName, expected] of [
      ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
      ['\u2066report\u2069\u200F.pdf', 'report.pdf'],
      [`a${'😀'.repeat(60)}.txt`, `a${'😀'.repeat(48)}.txt`],
      [`${'😀'.repeat(60)}.txt`, `${'😀'.repeat(49)}.txt`],
    ] as const) {
      const data = Buffer.from(fileName);
      const dingtalk = env.sim.robotMessage({ msgtype: 'file', file: { data, contentType: 'text/plain', fileName } }).data;
      const { out, error } = await flow.send({ dingtalk });
      assert.equal(error, undefined, error?.['error']?.message);
      assert.equal(out!['filename'], expected);
      assert.equal(out!['filepath'], join(dir, expected));
      assert.deepEqual(readFileSync(out!['filepath'] as string), data);
    }
  });

  it('refuses a Size limit outside 0.001-1024 MB with an error naming the setting, before downloading', async () => {
    for (const maxSizeMB of [0, -5, 0.000001, 'abc', 5000]) {
      const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file', maxSizeMB, directory: dir });
      const before = env.sim.requests.length;
      const { out, error } = await flow.send({ dingtalk: env.sim.robotMessage({ msgtype: 'file' }).data });
      assert.equal(out, undefined, `maxSizeMB ${maxSizeMB} was used`);
      const message = String(error!['error'].message);
      assert.equal(error!['error'].code, 'invalidSetting', message);
      assert.match(message, /Size limit \(maxSizeMB\) is .*: set a number of megabytes from 0\.001 to 1024, or leave it empty for 20\./);
      assert.equal(env.sim.requests.length, before, 'nothing was downloaded');
      assert.match(flow.statuses.at(-1)?.text ?? '', /invalid maxSizeMB/);
      await helper.unload();
    }
    const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file', maxSizeMB: '', directory: dir });
    const { out } = await flow.send({ dingtalk: env.sim.robotMessage({ msgtype: 'file' }).data });
    assert.ok(existsSync(out!['filepath'] as string), 'an empty setting is the default 20 MB');
  });

  it('fails clearly without a download code, and on DingTalk refusing the code', async () => {
    const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file' });
    const none = await flow.send({ dingtalk: env.sim.robotMessage({ text: 'just text' }).data });
    assert.match(none.error!['error'].message, /msg\.downloadCode/);
    assert.match(none.error!['error'].message, /dingtalk-robot-in/);
    const refused = await flow.send({ downloadCode: 'no-such-code' });
    assert.match(refused.error!['error'].message, /downloadCode/);
    assert.equal(flow.statuses.at(-1)?.fill, 'red');
    assert.ok(!visibleText(flow).includes(SIMULATOR_APP.clientSecret));
  });
});
