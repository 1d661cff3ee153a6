import type { DownloadedFile, OpenApiClient } from './http';
import { DownloadFileInputSchema, DownloadUrlAnswerSchema, parseInput, type DownloadFileInput } from './schemas';

const DOWNLOAD_PATH = '/v1.0/robot/messageFiles/download';

/**
 * Fetches a file, picture, audio or video a user sent the robot: exchanges the message's `downloadCode` for a
 * short-lived URL (docs/protocol.md §6.5) and downloads it at once, stopping past `maxBytes`.
 * The URL's extension is often generic (`.file`): take the name from the message's `fileName`.
 */
export async function downloadMessageFile(api: OpenApiClient, input: DownloadFileInput): Promise<DownloadedFile> {
  const parsed = parseInput(DownloadFileInputSchema, input, 'downloadMessageFile', DOWNLOAD_PATH);
  const { downloadUrl } = await api.call(
    // Asking twice only yields another URL, so it is safe to resend after a connection reset.
    { method: 'POST', path: DOWNLOAD_PATH, body: { downloadCode: parsed.downloadCode, robotCode: parsed.robotCode }, idempotent: true },
    DownloadUrlAnswerSchema,
  );
  return api.download(downloadUrl, { maxBytes: parsed.maxBytes });
}
