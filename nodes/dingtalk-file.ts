import { basename } from 'node:path';
import type { Node, NodeAPI } from 'node-red';
import { downloadMessageFile } from '../src/api/files';
import { fileRequest, outputFileName, saveFileAtomically } from '../src/nodes-input/dingtalk-file';
import { doneStatus } from './shared/status';
import { ActionRunner, type ActionNodeDef } from './shared/action-runner';

const TYPE = 'dingtalk-file';
const DEFAULT_MAX_MB = 20;

interface FileNodeDef extends ActionNodeDef {
  directory?: string;
  maxSizeMB?: number | string;
}

function maxBytesOf(config: FileNodeDef): number {
  const mb = Number(config.maxSizeMB);
  return Math.round((Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_MAX_MB) * 1024 * 1024);
}

export = function (RED: NodeAPI): void {
  function DingTalkFileNode(this: Node, config: FileNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const runner = new ActionRunner(RED, node, config, TYPE);
    const directory = (config.directory ?? '').trim();
    const maxBytes = maxBytesOf(config);

    runner.listen(async (msg, app) => {
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
