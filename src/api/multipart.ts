import { randomBytes } from 'node:crypto';

/**
 * A multipart/form-data body written by hand: undici's FormData copies a Buffer into a Blob, and a 20 MB upload
 * would then sit in memory twice. Here the file's Buffer is one of the chunks as it is, and the length is known up
 * front (DingTalk's upload page shows a plain form post; a chunked one is not documented).
 */
export interface MultipartBody {
  contentType: string;
  length: number;
  /** A fresh sequence per attempt: a retried request sends the same bytes again. */
  chunks(): Iterable<Buffer>;
}

export interface MultipartFile {
  field: string;
  fileName: string;
  contentType: string;
  data: Buffer;
}

/** Quotes a form-data name the way browsers do (RFC 7578 §4.2): `"`, CR and LF percent-encoded. */
function quoted(value: string): string {
  return `"${value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;
}

export function multipartBody(fields: Record<string, string>, file: MultipartFile): MultipartBody {
  const boundary = `----dingtalk-node-red-${randomBytes(12).toString('hex')}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`;
  }
  head +=
    `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(file.field)}; filename=${quoted(file.fileName)}\r\n` +
    `Content-Type: ${file.contentType}\r\n\r\n`;
  const before = Buffer.from(head, 'utf8');
  const after = Buffer.from(`\r\n--${boundary}--\r\n`, 'ascii');
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: before.length + file.data.length + after.length,
    chunks: () => [before, file.data, after],
  };
}
