import { basename } from 'node:path';
import type { Node, NodeAPI } from 'node-red';
import { downloadMessageFile } from '../src/api/files';
import { downloadLimitBytes, fileRequest, outputFileName } from '../src/msg/file-input';
import { saveFileAtomically } from '../src/msg/save-file';
import { MsgInputError } from '../src/msg/input-error';
import { doneStatus } from './shared/status';
import { ActionRunner, type ActionNodeDef } from './shared/action-runner';

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

export = function (RED: NodeAPI): void {
  function DingTalkFileNode(this: Node, config: FileNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const runner = new ActionRunner(RED, node, config, TYPE);
    const directory = (config.directory ?? '').trim();
    const maxBytes = maxBytesOf(config);

    runner.listen(async (msg, app) => {
      if (maxBytes instanceof MsgInputError) throw maxBytes;
      const req = fileRequest(msg, app.robotCode);
      const file = await downloadMessageFile(app.getApi(), { downloadCode: req.downloadCode, robotCode: req.robotCode, maxBytes });
      const filename = outputFileName(req, file.contentType);
      msg.payload = file.data;
      msg['filename'] = filename;
      msg['mimetype'] = file.contentType;
      msg['size'] = file.size;
      msg['dingtalkResponse'] = { contentType: file.contentType, size: file.size };
      if (!directory) return;
      const filepath = await saveFileAtomically(directory, filename, file.data);
      msg['filepath'] = filepath;
      // The name as written, so msg.filename and msg.filepath can never disagree.
      msg['filename'] = basename(filepath);
      return { status: doneStatus(runner.t('status.saved', 'saved __name__', { name: basename(filepath) })) };
    });

    node.on('close', (_removed: boolean, done: () => void) => runner.leave(done));
  }

  RED.nodes.registerType(TYPE, DingTalkFileNode);
};
