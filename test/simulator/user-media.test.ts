import assert from 'node:assert/strict';
import { SIMULATOR_APP, makePng, type DingTalkSimulator } from '../../src/simulator';
import { postJson, startSim } from './helpers';

/** What a robot's download of `downloadCode` yields, through the API as a client calls it (docs/protocol.md §6.5-a). */
async function download(sim: DingTalkSimulator, downloadCode: string): Promise<Buffer> {
  const token = await postJson(`${sim.apiBase}/v1.0/oauth2/accessToken`, { appKey: SIMULATOR_APP.clientId, appSecret: SIMULATOR_APP.clientSecret });
  const answer = await postJson(
    `${sim.apiBase}/v1.0/robot/messageFiles/download`,
    { downloadCode, robotCode: SIMULATOR_APP.robotCode },
    { 'x-acs-dingtalk-access-token': token.body.accessToken },
  );
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return Buffer.from(await (await fetch(answer.body.downloadUrl)).arrayBuffer());
}

describe('simulator: the user sends media (POST /sim/robot/upload-and-send)', () => {
  let sim: DingTalkSimulator;
  beforeEach(async () => {
    sim = await startSim({ pingIntervalMs: 60_000 });
  });
  afterEach(async () => {
    await sim.stop();
  });

  const send = (body: Record<string, unknown>) => postJson(`${sim.apiBase}/sim/robot/upload-and-send`, body);

  it('a picture becomes a picture message whose two codes both serve the uploaded bytes', async () => {
    const png = makePng(6, 6, [9, 8, 7]);
    const res = await send({ fileName: 'chart.png', contentType: 'image/png', data: png.toString('base64') });
    assert.equal(res.status, 200);
    const { msgtype, content } = res.body.data;
    assert.equal(msgtype, 'picture');
    assert.deepEqual(Object.keys(content).sort(), ['downloadCode', 'pictureDownloadCode']);
    assert.deepEqual(await download(sim, content.downloadCode), png);
    assert.deepEqual(await download(sim, content.pictureDownloadCode), png);
  });

  it('a picture with text becomes richText (text, then picture); a voice note carries its text as recognition', async () => {
    const png = makePng(2, 2);
    const rich = await send({ fileName: 'a.png', contentType: 'image/png', data: png.toString('base64'), text: ' see this ', conversationType: '2' });
    assert.equal(rich.body.data.msgtype, 'richText');
    assert.deepEqual(rich.body.data.content.richText[0], { text: 'see this' });
    assert.equal(rich.body.data.content.richText[1].type, 'picture');

    const voice = await send({ fileName: 'note.m4a', contentType: 'audio/mp4', data: Buffer.from('voice').toString('base64'), text: '开会' });
    assert.equal(voice.body.data.msgtype, 'audio');
    assert.equal(voice.body.data.content.recognition, '开会');
    assert.equal((await download(sim, voice.body.data.content.downloadCode)).toString(), 'voice');

    const pdf = await send({ fileName: '报告.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF').toString('base64') });
    assert.equal(pdf.body.data.msgtype, 'file');
    assert.equal(pdf.body.data.content.fileName, '报告.pdf');
  });

  it('refuses what DingTalk would not deliver (voice, file, video in a group) and empty data, saying why', async () => {
    const group = await send({ fileName: 'x.pdf', contentType: 'application/pdf', data: 'JVBERg==', conversationType: '2' });
    assert.equal(group.status, 409);
    assert.match(group.body.message, /does not deliver a file sent in a group/);
    const empty = await send({ fileName: 'x.png', contentType: 'image/png', data: '' });
    assert.equal(empty.status, 400);
    assert.equal(sim.queuedPushes, 0, 'nothing was pushed');
  });
});
