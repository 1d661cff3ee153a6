import assert from 'node:assert/strict';
import { makePng } from '../../src/simulator';
import { mediaInput } from '../../src/msg/media-input';
import { playDurationMs, sniffExtension } from '../../src/msg/media-kind';
import { MsgInputError } from '../../src/msg/input-error';
import { mp4Clip as mp4, wavNote as wav } from '../support/media-samples';

describe('msg/media input: what a Buffer is and how it is sent', function () {
  it('recognises the formats DingTalk takes by their first bytes', () => {
    assert.equal(sniffExtension(makePng()), 'png');
    assert.equal(sniffExtension(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0])), 'jpg');
    assert.equal(sniffExtension(Buffer.from('GIF89a....', 'latin1')), 'gif');
    assert.equal(sniffExtension(Buffer.from('%PDF-1.7', 'latin1')), 'pdf');
    assert.equal(sniffExtension(Buffer.from('#!AMR\n<', 'latin1')), 'amr');
    assert.equal(sniffExtension(wav(1)), 'wav');
    assert.equal(sniffExtension(mp4(1000)), 'mp4');
    assert.equal(sniffExtension(Buffer.from('plain text')), undefined);
  });

  it('reads how long wav and mp4 play', () => {
    assert.equal(playDurationMs('wav', wav(2)), 2000);
    assert.equal(playDurationMs('mp4', mp4(4500)), 4500);
    assert.equal(playDurationMs('mp4', Buffer.from('junk')), undefined);
  });

  it('takes the name from msg.filename (a path from `file in`), the kind from the name, and .jpeg as jpg', () => {
    const media = mediaInput({ payload: Buffer.from([0xff, 0xd8, 0xff, 0xe0]), filename: '/data/photos/Holiday.JPEG' });
    assert.equal(media.type, 'image');
    assert.equal(media.fileName, 'Holiday.JPEG');
    assert.equal(media.uploadName, 'Holiday.jpg');
    assert.equal(media.contentType, 'image/jpeg');
  });

  it('asks for msg.duration when an mp3 does not say how long it plays, and takes it when given', () => {
    const mp3 = Buffer.from('ID3\x03\0\0\0\0\0\0', 'latin1');
    assert.throws(
      () => mediaInput({ payload: mp3, filename: 'a.mp3' }),
      (e: unknown) => e instanceof MsgInputError && e.code === 'missingDuration',
    );
    assert.equal(mediaInput({ payload: mp3, filename: 'a.mp3', duration: 4200 }).durationMs, 4200);
    assert.throws(() => mediaInput({ payload: mp3, filename: 'a.mp3', duration: -1 }), /msg\.duration is not a positive number/);
  });

  it('refuses a voice note over 2 MB and names the limit', () => {
    const big = Buffer.concat([Buffer.from('#!AMR\n'), Buffer.alloc(2_000_000)]);
    assert.throws(() => mediaInput({ payload: big, filename: 'long.amr' }), /the limit is 2,000,000\. DingTalk takes a voice note of at most 2 MB/);
  });
});
