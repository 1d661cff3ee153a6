import { z } from 'zod';
import { dingError, ok, type Router, type SimReply } from './http-kit';
import type { DingTalkSimulator } from './index';
import type { FixtureFile } from './fixtures';
import type { RobotMsgType } from './messages';
import { describeIssue } from './schemas';

/**
 * POST /sim/robot/upload-and-send: the playground page's user sends the robot a picture, file, voice note or video
 * they picked on their computer. The bytes come as base64 in JSON (the page's fetch, no multipart parser needed) and
 * become a robot message whose downloadCode serves exactly those bytes. A picture with text becomes a richText
 * message (text, then the picture), as DingTalk sends a picture pasted into a sentence; a voice note's text is its
 * simulated speech-to-text (`recognition`).
 */

export type UserMediaKind = 'picture' | 'file' | 'audio' | 'video';

const UploadAndSendBody = z.object({
  /** Guessed from contentType when absent. */
  kind: z.enum(['picture', 'file', 'audio', 'video']).optional(),
  fileName: z.string().min(1).max(255),
  contentType: z.string().max(200).default('application/octet-stream'),
  /** The file's bytes, base64. The simulator reads at most 5 MiB of request, so about 3.7 MB of file. */
  data: z.string().min(1),
  text: z.string().max(5000).optional(),
  conversationType: z.enum(['1', '2']).optional(),
  conversationId: z.string().optional(),
  conversationTitle: z.string().optional(),
  senderNick: z.string().optional(),
  senderStaffId: z.string().optional(),
  clientId: z.string().optional(),
});

export function kindOf(contentType: string): UserMediaKind {
  const type = contentType.toLowerCase();
  if (type.startsWith('image/')) return 'picture';
  if (type.startsWith('audio/')) return 'audio';
  if (type.startsWith('video/')) return 'video';
  return 'file';
}

function uploadAndSend(sim: DingTalkSimulator, body: unknown): SimReply {
  const parsed = UploadAndSendBody.safeParse(body ?? {});
  if (!parsed.success) return dingError(400, 'invalidParameter', `Invalid parameter: ${describeIssue(parsed.error)}`);
  const { kind: asked, fileName, contentType, data, text, ...chat } = parsed.data;
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length === 0) return dingError(400, 'invalidParameter', 'Invalid parameter: data is empty or not base64');
  const kind = asked ?? kindOf(contentType);
  // docs/protocol.md §5-b: DingTalk does not deliver voice, file or video sent to the robot in a group.
  if (chat.conversationType === '2' && kind !== 'picture') {
    return dingError(409, 'simulator.refused', `DingTalk does not deliver a ${kind} sent in a group to the robot; send it in the 1:1 chat.`);
  }
  const file: FixtureFile = { data: bytes, contentType, fileName };
  const caption = kind === 'picture' ? text?.trim() : undefined;
  const msgtype: RobotMsgType = caption ? 'richText' : kind;
  const handle = sim.robotMessage({
    ...chat,
    msgtype,
    file,
    ...(caption ? { parts: [caption, file] } : {}),
    ...(kind === 'audio' ? { text: text?.trim() || '(speech-to-text of the voice note)' } : {}),
  });
  return ok({ messageId: handle.messageId, pushId: handle.pushId, data: handle.data });
}

export function registerUserMedia(router: Router, sim: DingTalkSimulator): void {
  router.add('POST', '/sim/robot/upload-and-send', (req) => uploadAndSend(sim, req.body));
}
