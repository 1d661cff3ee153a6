/** A body read as UTF-8 text up to a size limit, and whether there was more. */
export interface CappedText {
  text: string;
  /** The body was longer than the limit: `text` holds only what came before the chunk that crossed it. */
  truncated: boolean;
}

/**
 * Reads a body up to `maxBytes` and stops there: leaving the loop early ends the stream, so the rest is neither
 * received into memory nor waited for, however much the server still wants to send.
 */
export async function readCapped(body: AsyncIterable<unknown>, maxBytes: number): Promise<CappedText> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
    chunks.push(buf);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}
