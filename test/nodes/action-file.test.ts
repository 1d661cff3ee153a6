import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIMULATOR_APP, makePng } from '../../src/simulator';
import { safeFileName } from '../../src/nodes-input/dingtalk-file';
import { loadAction, useNodeRedWithSimulator, visibleText } from './support';

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
      assert.ok(path.startsWith(dir + '/'), `${JSON.stringify(evil)} was saved at ${path}`);
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
    assert.match(out!['filename'] as string, /^a[. ]+\.txt$/);
    assert.ok((out!['filename'] as string).length <= 130);
  });

  it('stops a download past the size limit with a clear error, and the next one still works', async () => {
    const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file', maxSizeMB: 0.001, directory: dir });
    const big = env.sim.robotMessage({ msgtype: 'file', file: { data: Buffer.alloc(64 * 1024, 1), contentType: 'application/zip', fileName: 'big.zip' } }).data;
    const { error } = await flow.send({ dingtalk: big });
    assert.match(error!['error'].message, /larger than the limit/);
    assert.deepEqual(readdirSync(dir), []);
    const small = env.sim.robotMessage({ msgtype: 'picture', file: { data: makePng(1, 1), contentType: 'image/png', fileName: 'p.png' } }).data;
    const { out } = await flow.send({ dingtalk: small });
    assert.ok(out);
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
