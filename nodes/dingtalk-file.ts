import { basename } from 'node:path';
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { downloadMessageFile } from '../src/api/files';
import { downloadLimitBytes, fileRequests, outputFileName, type FileRequest } from '../src/msg/file-input';
import { saveFileAtomically } from '../src/msg/save-file';
import { MsgInputError } from '../src/msg/input-error';
import { doneStatus } from './shared/status';
import { ActionRunner, type ActionNodeDef } from './shared/action-runner';
import type { DingTalkAppNode } from './shared/app-node';

const TYPE = 'dingtalk-file';

interface FileNodeDef extends ActionNodeDef {
  directory?: string;
  maxSizeMB?: number | string;
}

/** The limit in bytes, or the error every message gets while the setting is wrong (a deploy has no msg to fail). */
function maxBytesOf(config: FileNodeDef): number | MsgInputError {
  try {
    return downloadLimitBytes(config.maxSizeMB);
  } catch (err) {
    if (err instanceof MsgInputError) return err;
    throw err;
  }
}

/** msg.parts as a split node sets it for an array, so a join node in automatic mode puts the files back together. */
function sequenceParts(msg: NodeMessageInFlow, id: string, index: number, count: number): Record<string, unknown> {
  const outer = (msg as Record<string, unknown>)['parts'];
  return { id, index, count, type: 'array', len: 1, ...(outer !== undefined ? { parts: outer } : {}) };
}

export = function (RED: NodeAPI): void {
  function DingTalkFileNode(this: Node, config: FileNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const runner = new ActionRunner(RED, node, config, TYPE);
    const directory = (config.directory ?? '').trim();
    const maxBytes = maxBytesOf(config);

    /** Downloads one file onto `out` (and saves it when Save to is set); returns the name as saved, if saved. */
    async function fetchInto(out: NodeMessageInFlow, app: DingTalkAppNode, req: FileRequest, limit: number): Promise<string | undefined> {
      const target = out as Record<string, unknown>;
      const file = await downloadMessageFile(app.getApi(), { downloadCode: req.downloadCode, robotCode: req.robotCode, maxBytes: limit });
      const filename = outputFileName(req, file.contentType);
      target['payload'] = file.data;
      target['filename'] = filename;
      target['mimetype'] = file.contentType;
      target['size'] = file.size;
      target['dingtalkResponse'] = { contentType: file.contentType, size: file.size };
      if (!directory) return undefined;
      const filepath = await saveFileAtomically(directory, filename, file.data);
      target['filepath'] = filepath;
      // The name as written, so msg.filename and msg.filepath can never disagree.
      target['filename'] = basename(filepath);
      return basename(filepath);
    }

    runner.listen(async (msg, app, send) => {
      if (maxBytes instanceof MsgInputError) throw maxBytes;
      const { requests, sequence } = fileRequests(msg, app.robotCode);
      const id = RED.util.generateId();
      if (requests.length === 1) {
        const saved = await fetchInto(msg, app, requests[0]!, maxBytes);
        if (sequence) (msg as Record<string, unknown>)['parts'] = sequenceParts(msg, id, 0, 1);
        return saved ? { status: doneStatus(runner.t('status.saved', 'saved __name__', { name: saved })) } : undefined;
      }
      // Several files: one msg each, sent as soon as it is downloaded (only one file is held at a time), like split.
      // A failed part does not stop the others: they reach the flow, and done(err) names the one that failed.
      let failure: Error | undefined;
      for (const [index, req] of requests.entries()) {
        const out = RED.util.cloneMessage(msg);
        try {
          await fetchInto(out, app, req, maxBytes);
        } catch (err) {
          const reason = runner.userError(err, app).message;
          failure ??= new Error(
            runner.t('errors.partFailed', 'Part __index__ of __count__ (__type__) was not downloaded (the other parts were sent on): __reason__', {
              index: String(index + 1),
              count: String(requests.length),
              type: sequence?.types[index] ?? 'file',
              reason,
            }),
          );
          continue;
        }
        (out as Record<string, unknown>)['parts'] = sequenceParts(msg, id, index, requests.length);
        send(out);
      }
      if (failure) throw failure;
      const count = String(requests.length);
      const text = directory
        ? runner.t('status.savedMany', 'saved __count__ files', { count })
        : runner.t('status.sentMany', 'downloaded __count__ files', { count });
      return { status: doneStatus(text), noOutput: true };
    });

    node.on('close', (_removed: boolean, done: () => void) => runner.leave(done));
  }

  RED.nodes.registerType(TYPE, DingTalkFileNode);
};
