import assert from 'node:assert/strict';
import { amrNote } from '../support/media-samples';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DingTalkSimulator } from '../../src/simulator';
import { SIMULATOR_APP, makePng } from '../../src/simulator';
import { DINGTALK } from '../../src/contract';
import { APP_ID, appConfig, helper, loadAction, simCredentials, useNodeRedWithSimulator } from './support';

const sendNode: unknown = require('../../nodes/dingtalk-send');
const replyNode: unknown = require('../../nodes/dingtalk-reply');
const fileNodes: unknown = require('@node-red/nodes/core/storage/10-file.js');
const BATCH = '/v1.0/robot/oToMessages/batchSend';
const GROUP = '/v1.0/robot/groupMessages/send';
const UPLOAD = '/media/upload';

/** A one-page PDF's first bytes: enough for DingTalk's "pdf" and for our sniffing. */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');

describe('media: dingtalk-send and dingtalk-reply with a file (issue 11)', function () {
  const env = useNodeRedWithSimulator();
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dingtalk-media-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const bodiesTo = (path: string): Array<{ msgKey: string; msgParam: string; userIds?: string[]; openConversationId?: string }> =>
    env.sim.requests.filter((r) => r.path === path).map((r) => r.body as never);
  const uploads = (): number => env.sim.requests.filter((r) => r.path === UPLOAD).length;

  /** `file in` (Node-RED's own node) reads `path` as a Buffer and passes it to dingtalk-send; resolves with the send's output or error. */
  async function fileInToSend(
    path: string,
    sendConfig: Record<string, unknown>,
  ): Promise<{ out?: Record<string, any>; error?: Record<string, any> }> {
    const flow = [
      { id: 'tab', type: 'tab', label: 'media' },
      appConfig(env.sim, APP_ID),
      {
        id: 'read',
        z: 'tab',
        type: 'file in',
        name: '',
        filename: path,
        filenameType: 'str',
        format: '',
        chunk: false,
        sendError: false,
        encoding: 'none',
        allProps: false,
        wires: [['send']],
      },
      { id: 'send', z: 'tab', type: 'dingtalk-send', name: '', app: APP_ID, ...sendConfig, wires: [['out']] },
      { id: 'out', z: 'tab', type: 'helper' },
      { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['errs']] },
      { id: 'errs', z: 'tab', type: 'helper' },
    ];
    await helper.load([require('../../nodes/dingtalk-stream-app'), sendNode, fileNodes], flow, simCredentials(APP_ID));
    return new Promise((resolve) => {
      helper.getNode('out')!.on('input', (msg: Record<string, any>) => resolve({ out: msg }));
      helper.getNode('errs')!.on('input', (msg: Record<string, any>) => resolve({ error: msg }));
      helper.getNode('read')!.receive({ payload: '' });
    });
  }

  function uploaded(sim: DingTalkSimulator, mediaId: string): { type: string; fileName: string; data: Buffer } {
    const media = sim.media.get(mediaId);
    assert.ok(media, `the simulator holds no media ${mediaId}`);
    return media;
  }

  it('a PNG read with `file in` reaches a user as a picture (sampleImageMsg with the uploaded mediaId)', async () => {
    const png = makePng(8, 6);
    const path = join(dir, 'chart.png');
    writeFileSync(path, png);
    const { out, error } = await fileInToSend(path, { target: 'users', userIds: 'alice' });
    assert.equal(error, undefined, error?.['error']?.message);
    const [body] = bodiesTo(BATCH);
    assert.equal(body!.msgKey, 'sampleImageMsg');
    const { photoURL } = JSON.parse(body!.msgParam) as { photoURL: string };
    assert.equal(out!['dingtalkResponse'].mediaId, photoURL);
    const media = uploaded(env.sim, photoURL);
    assert.equal(media.type, 'image');
    assert.equal(media.fileName, 'chart.png');
    assert.ok(media.data.equals(png), 'the bytes DingTalk got are the file');
    const upload = env.sim.requests.find((r) => r.path === UPLOAD)!;
    assert.ok(upload.query['access_token'], 'the legacy upload takes the token in the query');
    assert.equal(upload.headers['x-acs-dingtalk-access-token'], undefined);
  });

  it('the same PNG reaches a group as a picture', async () => {
    const path = join(dir, 'group.png');
    writeFileSync(path, makePng());
    const { error } = await fileInToSend(path, { target: 'group', openConversationId: 'cidTeam==' });
    assert.equal(error, undefined, error?.['error']?.message);
    const sent = await env.sim.waitForSent((s) => s.kind === 'group');
    assert.equal(sent.openConversationId, 'cidTeam==');
    assert.equal((sent.body as { msgKey: string }).msgKey, 'sampleImageMsg');
  });

  it('a PDF arrives as a file with its name and type', async () => {
    const path = join(dir, 'Q3 report.pdf');
    writeFileSync(path, PDF);
    const { error } = await fileInToSend(path, { target: 'users', userIds: 'alice' });
    assert.equal(error, undefined, error?.['error']?.message);
    const [body] = bodiesTo(BATCH);
    assert.equal(body!.msgKey, 'sampleFile');
    const param = JSON.parse(body!.msgParam) as Record<string, string>;
    assert.equal(param['fileName'], 'Q3 report.pdf');
    assert.equal(param['fileType'], 'pdf');
    assert.equal(uploaded(env.sim, param['mediaId']!).type, 'file');
  });

  it('a Buffer without msg.filename is recognised by its content; the Type setting forces the kind', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'users', userIds: 'bob' });
    await flow.send({ payload: PDF });
    assert.equal(bodiesTo(BATCH)[0]!.msgKey, 'sampleFile');
    assert.equal((JSON.parse(bodiesTo(BATCH)[0]!.msgParam) as Record<string, string>)['fileName'], 'file.pdf');
    await helper.unload();

    const asFile = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'users', userIds: 'bob', msgType: 'file' });
    const { error } = await asFile.send({ payload: makePng(), filename: 'chart.png' });
    assert.match(error!['error'].message, /DingTalk takes a file as doc, docx/);
  });

  it('a voice note (amr) gets its duration from the file; a video needs a cover', async () => {
    const amr = amrNote();
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'group', openConversationId: 'cidTeam==' });
    const { error } = await flow.send({ payload: amr, filename: 'note.amr' });
    assert.equal(error, undefined, error?.['error']?.message);
    const body = bodiesTo(GROUP)[0]!;
    assert.equal(body.msgKey, 'sampleAudio');
    assert.equal((JSON.parse(body.msgParam) as Record<string, string>)['duration'], '1000');

    const video = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom\0\0\x02\0isommp41', 'latin1')]);
    const noCover = await flow.send({ payload: video, filename: 'clip.mp4', duration: 3000 });
    assert.equal(noCover.error!['error'].code, 'missingCover');
    const withCover = await flow.send({ payload: video, filename: 'clip.mp4', duration: 3000, cover: makePng() });
    assert.equal(withCover.error, undefined, withCover.error?.['error']?.message);
    const param = JSON.parse(bodiesTo(GROUP)[1]!.msgParam) as Record<string, string>;
    assert.equal(bodiesTo(GROUP)[1]!.msgKey, 'sampleVideo');
    assert.equal(param['duration'], '3');
    assert.equal(param['videoType'], 'mp4');
    assert.equal(uploaded(env.sim, param['picMediaId']!).type, 'image');
    assert.equal(uploaded(env.sim, param['videoMediaId']!).type, 'video');
  });

  for (const bad of [
    { what: 'an empty Buffer', msg: { payload: Buffer.alloc(0), filename: 'a.png' }, code: 'emptyPayload', text: /empty Buffer/ },
    {
      what: 'a type DingTalk refuses',
      msg: { payload: Buffer.from('a,b\n1,2\n'), filename: 'data.csv' },
      code: 'unsupportedMedia',
      text: /\.csv file.*It takes image jpg/,
    },
    {
      what: 'a picture over the limit',
      msg: { payload: Buffer.concat([makePng(), Buffer.alloc(DINGTALK.mediaUpload.image.maxBytes)]), filename: 'huge.png' },
      code: 'mediaTooLarge',
      text: /msg\.payload is too large: .* the limit is 20,000,000.*Nothing was uploaded/,
    },
  ]) {
    it(`${bad.what}: a catchable error before anything is uploaded`, async () => {
      const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'users', userIds: 'alice' });
      const { error, out } = await flow.send(bad.msg);
      assert.equal(out, undefined);
      assert.equal(error!['error'].code, bad.code);
      assert.match(error!['error'].message, bad.text);
      assert.equal(uploads(), 0, 'nothing was uploaded');
      assert.equal(bodiesTo(BATCH).length, 0);
      assert.equal(flow.statuses.at(-1)?.fill, 'red');
    });
  }

  it('markdown cannot carry a Buffer: the error says DingTalk shows pictures in markdown by URL', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'users', userIds: 'alice', msgType: 'markdown' });
    const { error } = await flow.send({ payload: makePng(), filename: 'a.png' });
    assert.equal(error!['error'].code, 'markdownPicture');
    assert.match(error!['error'].message, /!\[\]\(https:/);
    assert.equal(uploads(), 0);
  });

  it('a reply with a Buffer in a group goes to that group through the robot API', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', msgType: 'text' });
    const dingtalk = env.sim.robotMessage({ text: 'chart please', conversationType: '2', conversationId: 'cidAskers==' }).data as Record<
      string,
      unknown
    >;
    const { out, error } = await flow.send({ payload: makePng(), filename: 'chart.png', dingtalk });
    assert.equal(error, undefined, error?.['error']?.message);
    const sent = await env.sim.waitForSent((s) => s.kind === 'group');
    assert.equal(sent.openConversationId, 'cidAskers==');
    assert.equal((sent.body as { msgKey: string }).msgKey, 'sampleImageMsg');
    assert.equal(typeof out!['dingtalkResponse'].mediaId, 'string');
    assert.equal(env.sim.sent.filter((s) => s.kind === 'webhook').length, 0, 'no session-webhook reply');
  });

  it("a reply with a Buffer in a 1:1 chat goes to the sender's chat with the robot", async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', msgType: 'text' });
    const dingtalk = env.sim.robotMessage({ text: 'report', conversationType: '1', senderStaffId: 'staff7' }).data as Record<string, unknown>;
    const { error } = await flow.send({ payload: PDF, filename: 'report.pdf', dingtalk });
    assert.equal(error, undefined, error?.['error']?.message);
    const sent = await env.sim.waitForSent((s) => s.kind === 'oto');
    assert.deepEqual(sent.userIds, ['staff7']);
    assert.equal((sent.body as { msgKey: string; robotCode: string }).msgKey, 'sampleFile');
    assert.equal((sent.body as { robotCode: string }).robotCode, SIMULATOR_APP.robotCode);
  });
});
