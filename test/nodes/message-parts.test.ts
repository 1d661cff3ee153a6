import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileRequests, outputFileName } from '../../src/msg/file-input';
import { robotMessageToMsg } from '../../src/msg/inbound-robot';
import { messageParts } from '../../src/msg/message-parts';
import type { RobotMessage } from '../../src/stream/frames';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'dingtalk');
/** The msgtype/content example of each type on DingTalk's receive-message page. */
const DOC = JSON.parse(readFileSync(join(FIXTURES, 'robot-content.receive-message.json'), 'utf8')) as Record<string, Record<string, unknown>>;

function message(msgtype: string, content: Record<string, unknown>): RobotMessage {
  return { msgtype, msgId: 'msgX==', conversationId: 'cid1', conversationType: '1', robotCode: 'dingRobot', content } as RobotMessage;
}

function toMsg(m: RobotMessage): Record<string, any> {
  return robotMessageToMsg({ headers: { messageId: 'mid' }, data: m } as never, undefined) as never;
}

describe('message parts (no runtime)', () => {
  it("reads every example of DingTalk's receive-message page into typed parts", () => {
    const types = Object.fromEntries(
      Object.entries(DOC)
        .filter(([k]) => k !== '_source')
        .map(([k, c]) => [k, messageParts(message(k, c)).map((p) => p.type)]),
    );
    assert.deepEqual(types, { audio: ['audio'], picture: ['picture'], video: ['video'], file: ['file'], richText: ['text', 'picture'] });
    const audio = toMsg(message('audio', DOC['audio']!));
    assert.equal(audio['dingtalk'].recognition, '钉钉，让进步发生');
    assert.equal(audio['dingtalk'].duration, 4000);
    const file = toMsg(message('file', DOC['file']!));
    assert.equal(file['dingtalk'].fileName, '钉钉让进步发生.pdf');
    const video = toMsg(message('video', DOC['video']!));
    assert.equal(video['dingtalk'].videoType, 'mp4');
  });

  it('keeps a text message payload a string, and gives richText its text and parts beside the raw list', () => {
    const text = robotMessageToMsg(
      {
        headers: { messageId: 'm' },
        data: { msgtype: 'text', msgId: 'a', conversationId: 'c', conversationType: '1', text: { content: 'hi' } },
      } as never,
      'hi',
    );
    assert.equal(text.payload, 'hi');
    assert.equal(text.dingtalk.parts, undefined);
    const rich = toMsg(message('richText', DOC['richText']!));
    assert.deepEqual(Object.keys(rich['payload']).sort(), ['parts', 'richText', 'text']);
    assert.equal(rich['dingtalk'].downloadCode, (DOC['richText']!['richText'] as Array<Record<string, string>>)[1]!['downloadCode']);
  });

  it('tolerates odd richText entries: untyped codes are pictures, non-objects are skipped', () => {
    const parts = messageParts(
      message('richText', { richText: [null, 'x', { text: 'a' }, { pictureDownloadCode: 'p1' }, { type: 'emoji', code: 1 }] }),
    );
    assert.deepEqual(
      parts.map((p) => p.type),
      ['text', 'picture', 'emoji'],
    );
    assert.deepEqual(messageParts(message('richText', { richText: 'nope' })), []);
  });

  it('asks for each picture of a richText in order, by downloadCode or else pictureDownloadCode', () => {
    const dingtalk = message('richText', {
      richText: [{ type: 'picture', downloadCode: 'c1' }, { text: 't' }, { type: 'picture', pictureDownloadCode: 'p2' }],
    });
    const { requests, sequence } = fileRequests({ dingtalk }, 'appRobot');
    assert.deepEqual(
      requests.map((r) => [r.downloadCode, r.partNumber, r.robotCode]),
      [
        ['c1', 1, 'dingRobot'],
        ['p2', 2, 'dingRobot'],
      ],
    );
    assert.deepEqual(sequence, { types: ['picture', 'picture'], count: 2 });
    assert.equal(outputFileName(requests[1]!, 'image/jpeg'), 'msgX-2.jpg');
    const chosen = fileRequests({ dingtalk, downloadCode: 'mine' }, 'appRobot');
    assert.deepEqual([chosen.requests.length, chosen.requests[0]!.downloadCode, chosen.sequence], [1, 'mine', undefined]);
  });

  it('refuses a msg asking for more than 50 files before downloading any', () => {
    const richText = Array.from({ length: 51 }, (_, i) => ({ type: 'picture', downloadCode: `c${i}` }));
    assert.throws(
      () => fileRequests({ dingtalk: message('richText', { richText }) }, 'r'),
      /msg\.dingtalk\.content\.richText has too many entries: 51, the limit is 50/,
    );
    assert.equal(fileRequests({ dingtalk: message('richText', { richText: richText.slice(1) }) }, 'r').requests.length, 50);
  });

  it('uses videoType as the extension only when it is a plain word', () => {
    const base = { downloadCode: 'c', robotCode: 'r', msgId: 'msgV' };
    assert.equal(outputFileName({ ...base, videoType: 'MOV' }, 'application/octet-stream'), 'msgV.mov');
    assert.equal(outputFileName({ ...base, videoType: '../../x' }, 'application/octet-stream'), 'msgV.bin');
    assert.equal(outputFileName({ ...base, videoType: 'mov' }, 'video/mp4'), 'msgV.mp4', "the download's own type wins");
  });
});
