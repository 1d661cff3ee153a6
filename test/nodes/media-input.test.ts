import assert from 'node:assert/strict';
import { makePng } from '../../src/simulator';
import { mediaInput } from '../../src/msg/media-input';
import { playDurationMs, sniffExtension } from '../../src/msg/media-kind';
import { MsgInputError } from '../../src/msg/input-error';

function wav(seconds: number, byteRate = 16_000): Buffer {
  const data = Buffer.alloc(seconds * byteRate);
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(1, 8);
  fmt.writeUInt16LE(1, 10);
  fmt.writeUInt32LE(8_000, 12);
  fmt.writeUInt32LE(byteRate, 16);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(4 + fmt.length + 8 + data.length, 4);
  head.write('WAVE', 8, 'latin1');
  const dataHead = Buffer.alloc(8);
  dataHead.write('data', 0, 'latin1');
  dataHead.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, fmt, dataHead, data]);
}

/** An mp4 with `ftyp` and `moov/mvhd` (version 0): timescale 1000, duration `ms`. */
function mp4(ms: number): Buffer {
  const box = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + body.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, body]);
  };
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(1000, 12);
  mvhd.writeUInt32BE(ms, 16);
  return Buffer.concat([box('ftyp', Buffer.from('isom\0\0\x02\0isommp41', 'latin1')), box('moov', box('mvhd', mvhd))]);
}

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
