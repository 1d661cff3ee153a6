/**
 * What a file is, from its first bytes, and how long a voice note or video plays, from its headers: enough to pick the
 * message DingTalk shows it as (a picture, a file, a voice note, a video) when the flow gives no file name, and to fill
 * the `duration` DingTalk's voice and video messages need (docs/protocol.md §6.10).
 */

/** The extension a file's content says it has, or undefined. Office formats share zip (docx…) and OLE (doc…) magic. */
export function sniffExtension(data: Buffer): string | undefined {
  const at = (offset: number, text: string): boolean =>
    data.length >= offset + text.length && data.toString('latin1', offset, offset + text.length) === text;
  if (data.length >= 8 && data.readUInt32BE(0) === 0x89504e47) return 'png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpg';
  if (at(0, 'GIF87a') || at(0, 'GIF89a')) return 'gif';
  if (at(0, 'BM') && data.length >= 26) return 'bmp';
  if (at(0, '%PDF-')) return 'pdf';
  if (at(0, 'Rar!\x1a\x07')) return 'rar';
  if (at(0, 'PK\x03\x04')) return 'zip';
  if (data.length >= 8 && data.readUInt32BE(0) === 0xd0cf11e0 && data.readUInt32BE(4) === 0xa1b11ae1) return 'doc';
  if (at(0, '#!AMR\n')) return 'amr';
  if (at(0, 'RIFF') && at(8, 'WAVE')) return 'wav';
  if (at(0, 'ID3') || (data.length >= 2 && data[0] === 0xff && (data[1]! & 0xe0) === 0xe0)) return 'mp3';
  if (at(4, 'ftyp')) return 'mp4';
  return undefined;
}

/** AMR-NB frame sizes by frame type (3GPP TS 26.101), without the 1-byte frame header; 20 ms per frame. */
const AMR_FRAME_BYTES = [12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0];

function amrDurationMs(data: Buffer): number | undefined {
  let offset = 6;
  let frames = 0;
  while (offset < data.length) {
    const type = (data[offset]! >> 3) & 0x0f;
    offset += 1 + (AMR_FRAME_BYTES[type] ?? 0);
    frames++;
  }
  return frames > 0 ? frames * 20 : undefined;
}

function wavDurationMs(data: Buffer): number | undefined {
  let byteRate: number | undefined;
  let offset = 12;
  while (offset + 8 <= data.length) {
    const id = data.toString('latin1', offset, offset + 4);
    const size = data.readUInt32LE(offset + 4);
    if (id === 'fmt ' && offset + 16 <= data.length) byteRate = data.readUInt32LE(offset + 16);
    if (id === 'data' && byteRate) return Math.round((Math.min(size, data.length - offset - 8) / byteRate) * 1000);
    offset += 8 + size + (size % 2);
  }
  return undefined;
}

/** mp4: `moov` → `mvhd` holds the timescale and the duration (ISO/IEC 14496-12 §8.2.2). */
function mp4DurationMs(data: Buffer): number | undefined {
  const find = (start: number, end: number, type: string): { start: number; end: number } | undefined => {
    let offset = start;
    while (offset + 8 <= end) {
      let size = data.readUInt32BE(offset);
      let header = 8;
      if (size === 1 && offset + 16 <= end) {
        size = Number(data.readBigUInt64BE(offset + 8));
        header = 16;
      } else if (size === 0) {
        size = end - offset;
      }
      if (size < header) return undefined;
      if (data.toString('latin1', offset + 4, offset + 8) === type) return { start: offset + header, end: Math.min(end, offset + size) };
      offset += size;
    }
    return undefined;
  };
  const moov = find(0, data.length, 'moov');
  const mvhd = moov && find(moov.start, moov.end, 'mvhd');
  if (!mvhd || mvhd.start + 32 > mvhd.end) return undefined;
  const version = data[mvhd.start];
  const timescale = version === 1 ? data.readUInt32BE(mvhd.start + 20) : data.readUInt32BE(mvhd.start + 12);
  const duration = version === 1 ? Number(data.readBigUInt64BE(mvhd.start + 24)) : data.readUInt32BE(mvhd.start + 16);
  return timescale > 0 ? Math.round((duration / timescale) * 1000) : undefined;
}

/** How long the audio or video plays, in milliseconds, when its headers say so; undefined when they do not. */
export function playDurationMs(ext: string, data: Buffer): number | undefined {
  try {
    if (ext === 'amr') return amrDurationMs(data);
    if (ext === 'wav') return wavDurationMs(data);
    if (ext === 'mp4') return mp4DurationMs(data);
  } catch {
    // A truncated header: the flow is asked for msg.duration instead.
  }
  return undefined;
}

const CONTENT_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  bmp: 'image/bmp',
  amr: 'audio/amr',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  pdf: 'application/pdf',
  zip: 'application/zip',
  rar: 'application/vnd.rar',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

export function contentTypeOf(ext: string): string {
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}
