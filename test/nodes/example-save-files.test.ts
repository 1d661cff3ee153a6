/**
 * examples/save-files.json deployed as shipped (only the app's apiBase and credentials filled in) with the core nodes
 * it uses, driven by what users send from the simulator, and checked against what its comment promises.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makePng, type SentRecord } from '../../src/simulator';
import { audioFile, textFile } from '../../src/simulator/fixtures';
import { requireFromRuntime } from './runtime';
import { ACTION_MODULES, ALL_MODULES, FAST_TIMINGS, exampleFlow, helper, useNodeRedWithSimulator } from './support';

const CORE = '@node-red/nodes/core';
const CORE_MODULES: unknown[] = [
  requireFromRuntime(`${CORE}/common/90-comment.js`),
  requireFromRuntime(`${CORE}/function/15-change.js`),
  requireFromRuntime(`${CORE}/function/80-template.js`),
  requireFromRuntime(`${CORE}/storage/10-file.js`),
  requireFromRuntime(`${CORE}/sequence/17-split.js`),
];
const FOLDER = '/tmp/dingtalk-files';

function replyText(sent: SentRecord): string {
  return String((sent.body as Record<string, any>)['text']?.content ?? '');
}

describe('example flow save-files.json', function () {
  const env = useNodeRedWithSimulator(FAST_TIMINGS);
  const written: string[] = [];
  afterEach(async () => {
    for (const path of written.splice(0)) await rm(path, { force: true });
  });

  async function deploy(): Promise<void> {
    const { flow, credentials } = exampleFlow('save-files.json', env.sim);
    await helper.load([...ALL_MODULES, ...ACTION_MODULES, ...CORE_MODULES], flow, credentials);
    for (const node of flow) if (node['type'] !== 'tab') assert.ok(helper.getNode(String(node['id'])), `node ${String(node['id'])} deployed`);
    await env.sim.waitForConnection();
  }

  it('saves the three pictures of a rich-text message and tells the user, in one reply, what was saved', async () => {
    await deploy();
    const pngs = [makePng(1, 1, [10, 0, 0]), makePng(1, 1, [20, 0, 0]), makePng(1, 1, [30, 0, 0])];
    const msgId = `msgSaveEx${Date.now()}`;
    const picture = (data: Buffer) => ({ data, contentType: 'image/png', fileName: 'x.png' });
    env.sim.robotMessage({
      msgtype: 'richText',
      msgId,
      conversationType: '2',
      parts: ['看', picture(pngs[0]!), picture(pngs[1]!), '和', picture(pngs[2]!)],
    });
    const reply = await env.sim.waitForSent((s) => s.kind === 'webhook');
    const paths = [1, 2, 3].map((n) => join(FOLDER, `${msgId}-${n}.png`));
    written.push(...paths);
    assert.equal(replyText(reply), `Saved 3 file(s):\n${paths.map((p) => `- ${p}`).join('\n')}`);
    for (const [i, path] of paths.entries()) assert.deepEqual(await readFile(path), pngs[i]);
    assert.equal(env.sim.sent.filter((s) => s.kind === 'webhook').length, 1, 'one reply for the whole message');
  });

  it('saves a file and a voice note under their names', async () => {
    await deploy();
    const doc = textFile(`save-files-${Date.now()}.pdf`);
    env.sim.robotMessage({ msgtype: 'file', file: doc });
    const first = await env.sim.waitForSent((s) => s.kind === 'webhook');
    written.push(join(FOLDER, doc.fileName));
    assert.equal(replyText(first), `Saved 1 file(s):\n- ${join(FOLDER, doc.fileName)}`);
    assert.deepEqual(await readFile(join(FOLDER, doc.fileName)), doc.data);

    const msgId = `msgVoiceEx${Date.now()}`;
    env.sim.robotMessage({ msgtype: 'audio', msgId, text: '记一下' });
    await env.sim.waitFor(() => env.sim.sent.filter((s) => s.kind === 'webhook').length === 2);
    written.push(join(FOLDER, `${msgId}.amr`));
    assert.deepEqual(await readFile(join(FOLDER, `${msgId}.amr`)), audioFile().data);
  });

  it('tells the user why when there is nothing to save', async () => {
    await deploy();
    env.sim.robotMessage({ msgtype: 'richText', parts: ['only words'] });
    const reply = await env.sim.waitForSent((s) => s.kind === 'webhook');
    assert.match(replyText(reply), /^Sorry, I could not save that: .*no picture/);
  });
});
