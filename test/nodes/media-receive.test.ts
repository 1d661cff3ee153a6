import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TOPIC_ROBOT, makePng, type DingTalkSimulator } from '../../src/simulator';
import { audioFile, textFile, videoFile } from '../../src/simulator/fixtures';
import { ALL_MODULES, FAST_TIMINGS, Inbox, TAB, appConfig, helper, robotIn, simCredentials, useNodeRedWithSimulator } from './support';

const fileModule: unknown = require('../../nodes/dingtalk-file');
/** Node-RED's split/join module: the join in automatic mode is what msg.parts is for. */
const splitJoinModule: unknown = require(join(dirname(require.resolve('@node-red/nodes/package.json')), 'core', 'sequence', '17-split.js'));
const DOWNLOAD = '/v1.0/robot/messageFiles/download';
const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'dingtalk');

function fixture(name: string): Record<string, any> {
  const { _source, ...message } = JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, any>;
  assert.ok(_source, `${name} names its source`);
  return message;
}

interface MediaFlow {
  robot: Inbox;
  files: Inbox;
  joined: Inbox;
  errors: Inbox;
}

/** robot-in -> (helper `robot`) + dingtalk-file -> (helper `files`) + join (auto) -> `joined`; catch -> `errors`. */
async function loadMediaFlow(sim: DingTalkSimulator, directory: string): Promise<MediaFlow> {
  const flow = [
    TAB,
    appConfig(sim),
    robotIn('in', 'app1', { wires: [['robot', 'file']] }),
    { id: 'robot', z: TAB.id, type: 'helper' },
    { id: 'file', z: TAB.id, type: 'dingtalk-file', name: '', app: 'app1', directory, maxSizeMB: 20, wires: [['files', 'joiner']] },
    { id: 'files', z: TAB.id, type: 'helper' },
    { id: 'joiner', z: TAB.id, type: 'join', mode: 'auto', build: 'array', property: 'payload', propertyType: 'msg', wires: [['joined']] },
    { id: 'joined', z: TAB.id, type: 'helper' },
    { id: 'catcher', z: TAB.id, type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
    { id: 'errors', z: TAB.id, type: 'helper' },
  ];
  await helper.load([...ALL_MODULES, fileModule, splitJoinModule], flow, simCredentials());
  const inboxes = {
    robot: new Inbox(helper.getNode('robot')!),
    files: new Inbox(helper.getNode('files')!),
    joined: new Inbox(helper.getNode('joined')!),
    errors: new Inbox(helper.getNode('errors')!),
  };
  await sim.waitForConnection();
  return inboxes;
}

describe('receiving media: dingtalk-robot-in -> dingtalk-file in Node-RED', function () {
  const env = useNodeRedWithSimulator(FAST_TIMINGS);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dingtalk-media-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a richText with 3 pictures: payload has the text and the parts in order; 3 files downloaded and saved in order', async () => {
    const flow = await loadMediaFlow(env.sim, dir);
    const pngs = [makePng(2, 2, [255, 0, 0]), makePng(3, 3, [0, 255, 0]), makePng(4, 4, [0, 0, 255])];
    const picture = (data: Buffer) => ({ data, contentType: 'image/png', fileName: 'x.png' });
    const push = env.sim.robotMessage({
      msgtype: 'richText',
      msgId: 'msgRich3==',
      parts: ['第一张', picture(pngs[0]!), '第二张', picture(pngs[1]!), picture(pngs[2]!), '完'],
    });

    const incoming = await flow.robot.nth(1);
    assert.equal(incoming['payload'].text, '第一张第二张完');
    assert.deepEqual(
      incoming['payload'].parts.map((p: Record<string, unknown>) => p['type']),
      ['text', 'picture', 'text', 'picture', 'picture', 'text'],
    );
    const raw = (push.data as Record<string, any>)['content'].richText;
    assert.deepEqual(incoming['payload'].richText, raw, 'the content as DingTalk sent it is still there');
    assert.equal(incoming['dingtalk'].parts[3].downloadCode, raw[3].downloadCode);

    const files = [await flow.files.nth(1), await flow.files.nth(2), await flow.files.nth(3)];
    assert.deepEqual(
      files.map((m) => m['payload']),
      pngs,
      'each picture once, in the order the user placed them',
    );
    assert.deepEqual(
      files.map((m) => m['filename']),
      ['msgRich3-1.png', 'msgRich3-2.png', 'msgRich3-3.png'],
    );
    const ids = new Set(files.map((m) => m['parts'].id));
    assert.equal(ids.size, 1);
    assert.deepEqual(
      files.map((m) => [m['parts'].index, m['parts'].count, m['parts'].type]),
      [
        [0, 3, 'array'],
        [1, 3, 'array'],
        [2, 3, 'array'],
      ],
    );
    assert.deepEqual(readdirSync(dir).sort(), ['msgRich3-1.png', 'msgRich3-2.png', 'msgRich3-3.png']);
    assert.deepEqual(readFileSync(join(dir, 'msgRich3-2.png')), pngs[1]);
    const joined = await flow.joined.nth(1);
    assert.deepEqual(joined['payload'], pngs, 'a join node in automatic mode puts the three files back together');
    const downloads = env.sim.requests.filter((r) => r.path === DOWNLOAD).map((r) => (r.body as Record<string, string>)['downloadCode']);
    assert.deepEqual(downloads, [raw[1].downloadCode, raw[3].downloadCode, raw[4].downloadCode]);
    assert.equal(flow.errors.messages.length, 0);
  });

  it('audio: the speech-to-text in msg.dingtalk.recognition, and the voice note downloaded', async () => {
    const flow = await loadMediaFlow(env.sim, dir);
    env.sim.robotMessage({ msgtype: 'audio', text: '明天上午十点开会', msgId: 'msgVoice==' });
    const incoming = await flow.robot.nth(1);
    assert.equal(incoming['dingtalk'].recognition, '明天上午十点开会');
    assert.equal(incoming['dingtalk'].duration, 4000);
    assert.equal(incoming['dingtalk'].parts[0].type, 'audio');
    assert.equal(incoming['payload'].recognition, '明天上午十点开会', 'the payload is the content, as before');
    const file = await flow.files.nth(1);
    assert.deepEqual(file['payload'], audioFile().data);
    assert.equal(file['filename'], 'msgVoice.amr');
    assert.equal(file['dingtalk'].recognition, '明天上午十点开会', 'the text travels with the file');
    assert.deepEqual([file['parts'].index, file['parts'].count], [0, 1]);
  });

  it('video and file: their names, type and duration in msg.dingtalk; the downloads named after them', async () => {
    const flow = await loadMediaFlow(env.sim, dir);
    env.sim.robotMessage({ msgtype: 'video', msgId: 'msgMovie==', file: { ...videoFile(), contentType: 'application/octet-stream' } });
    const video = await flow.robot.nth(1);
    assert.equal(video['dingtalk'].videoType, 'mp4');
    assert.equal(video['dingtalk'].duration, '5', 'as DingTalk sent it (a string in its captured example)');
    const movie = await flow.files.nth(1);
    assert.equal(movie['filename'], 'msgMovie.mp4', 'videoType names a download whose content type says nothing');
    assert.deepEqual(movie['payload'], videoFile().data);

    env.sim.robotMessage({ msgtype: 'file', file: textFile('季度报告.pdf') });
    const doc = await flow.robot.nth(2);
    assert.equal(doc['dingtalk'].fileName, '季度报告.pdf');
    assert.ok(doc['dingtalk'].downloadCode);
    const saved = await flow.files.nth(2);
    assert.equal(saved['filename'], '季度报告.pdf');
    assert.equal(saved['filepath'], join(dir, '季度报告.pdf'));
    assert.deepEqual(readFileSync(join(dir, '季度报告.pdf')), textFile().data);
  });

  it("replays DingTalk's captured richText and file messages (test/fixtures) with their codes served by the simulator", async () => {
    const flow = await loadMediaFlow(env.sim, dir);
    const rich = fixture('robot-richText.developerpedia.json');
    const png = makePng(5, 5);
    const code = env.sim.registerFile({ data: png, contentType: 'image/png', fileName: 'p.png' });
    rich['content'].richText[1].downloadCode = code;
    env.sim.callback(TOPIC_ROBOT, { ...rich, robotCode: env.sim.apps[0]!.robotCode });
    const incoming = await flow.robot.nth(1);
    assert.equal(incoming['payload'].text, '这个问题示例图如下：通过以上示意图可以明白完整的交互流程');
    assert.deepEqual(
      incoming['payload'].parts.map((p: Record<string, unknown>) => p['type']),
      ['text', 'picture', 'text'],
    );
    assert.equal(incoming['payload'].parts[1].pictureDownloadCode, 'pWjA****SjIg');
    assert.deepEqual((await flow.files.nth(1))['payload'], png);

    const file = fixture('robot-file.developerpedia.json');
    file['content'].downloadCode = env.sim.registerFile({ data: Buffer.from('zip bytes'), contentType: 'application/octet-stream', fileName: 'x' });
    env.sim.callback(TOPIC_ROBOT, { ...file, robotCode: env.sim.apps[0]!.robotCode });
    const zip = await flow.robot.nth(2);
    assert.equal(zip['dingtalk'].fileName, 'foobar.zip');
    assert.equal(zip['dingtalk'].parts[0].fileId, '117***848', 'fields we do not use are kept');
    const saved = await flow.files.nth(2);
    assert.equal(saved['filename'], 'foobar.zip');
    assert.equal(saved['payload'].toString(), 'zip bytes');
  });

  it('a picture that fails does not stop the others: they reach the flow and the error names the part', async () => {
    const flow = await loadMediaFlow(env.sim, dir);
    const pngs = [makePng(1, 1, [1, 1, 1]), makePng(1, 1, [2, 2, 2]), makePng(1, 1, [3, 3, 3])];
    const picture = (data: Buffer) => ({ data, contentType: 'image/png', fileName: 'x.png' });
    const codes = pngs.map((data) => env.sim.registerFile(picture(data)));
    // The second code is one DingTalk no longer knows (docs/protocol.md §6.5-b: invalidParameter.robotCode.downloadCode).
    codes[1] = 'expiredDownloadCode==';
    env.sim.robotMessage({ msgtype: 'richText', content: { richText: codes.map((downloadCode) => ({ downloadCode, type: 'picture' })) } });
    const error = await flow.errors.nth(1);
    assert.match(
      error['error'].message,
      /Part 2 of 3 \(picture\) was not downloaded \(the other parts were sent on\): .*invalidParameter\.robotCode\.downloadCode/,
    );
    const files = flow.files.messages;
    assert.deepEqual(
      files.map((m) => m['payload']),
      [pngs[0], pngs[2]],
    );
    assert.deepEqual(
      files.map((m) => m['parts'].index),
      [0, 2],
    );
  });

  it('a richText with only text gives a clear error, and nothing is downloaded', async () => {
    const flow = await loadMediaFlow(env.sim, dir);
    env.sim.robotMessage({ msgtype: 'richText', parts: ['just', 'text'] });
    const error = await flow.errors.nth(1);
    assert.match(error['error'].message, /rich-text message has no picture/);
    assert.equal(env.sim.requests.filter((r) => r.path === DOWNLOAD).length, 0);
  });
});
