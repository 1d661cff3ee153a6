import { deflateSync } from 'node:zlib';

/**
 * Small but real file contents for the media a robot message can carry, so a client can download and inspect
 * them (a PNG that image tools open, a text file, plausible audio/video headers).
 */

export interface FixtureFile {
  data: Buffer;
  contentType: string;
  fileName: string;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([len, typed, crc]);
}

/** A valid RGB PNG of the given size filled with one colour. */
export function makePng(width = 4, height = 4, rgb: [number, number, number] = [0x1e, 0x88, 0xe5]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type RGB
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export function pictureFile(): FixtureFile {
  return { data: makePng(), contentType: 'image/png', fileName: 'image.png' };
}

export function textFile(fileName = 'report.txt'): FixtureFile {
  const data = Buffer.from(`DingTalk simulator file\n文件内容示例\n${new Date(0).toISOString()}\n`, 'utf8');
  return { data, contentType: 'text/plain; charset=utf-8', fileName };
}

export function audioFile(): FixtureFile {
  // AMR-NB magic followed by silent frames: what DingTalk voice messages are stored as.
  const frames = Buffer.alloc(32 * 10, 0);
  for (let i = 0; i < 10; i++) frames[i * 32] = 0x3c;
  return { data: Buffer.concat([Buffer.from('#!AMR\n', 'ascii'), frames]), contentType: 'audio/amr', fileName: 'voice.amr' };
}

export function videoFile(): FixtureFile {
  // An mp4 `ftyp` box: enough for type sniffers, not a playable movie.
  const box = Buffer.alloc(24);
  box.writeUInt32BE(24, 0);
  box.write('ftypisom', 4, 'ascii');
  box.writeUInt32BE(0x200, 12);
  box.write('isommp41', 16, 'ascii');
  return { data: box, contentType: 'video/mp4', fileName: 'video.mp4' };
}
