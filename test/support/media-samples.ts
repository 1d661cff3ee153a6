/**
 * Small valid media files for the tests, built in memory: just enough structure for the send node to recognise the
 * type and read the duration (src/msg/media-kind.ts), and for the simulator to store and serve them.
 */

/** An AMR-NB voice note: the magic and `frames` frames of 12.2 kbit/s (32 bytes, 20 ms each); 50 frames = 1 s. */
export function amrNote(frames = 50): Buffer {
  const body = Buffer.alloc(32 * frames, 0);
  for (let i = 0; i < frames; i++) body[i * 32] = 0x3c;
  return Buffer.concat([Buffer.from('#!AMR\n', 'ascii'), body]);
}

/** A PCM wav of `seconds` at `byteRate` bytes per second (its `fmt ` chunk gives the duration). */
export function wavNote(seconds: number, byteRate = 16_000): Buffer {
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

/** An mp4 with `ftyp` and `moov/mvhd` (version 0, timescale 1000) lasting `ms`. */
export function mp4Clip(ms: number): Buffer {
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
