import type { Node, NodeAPI, NodeDef } from 'node-red';
import { compileRobotFilter, messageText, robotMessageToMsg, type ChatFilter, type KeywordMode } from '../src/msg/inbound-robot';
import { configErrorStatus } from './shared/status';
import { attachTrigger } from './shared/trigger';

interface RobotInConfig extends NodeDef {
  app?: string;
  chat?: string;
  /** Comma-separated msgtypes; empty = all. */
  msgtypes?: string | string[];
  keyword?: string;
  keywordMode?: string;
}

function chatOption(value: string | undefined): ChatFilter {
  return value === 'single' || value === 'group' ? value : 'both';
}

function msgtypeList(value: string | string[] | undefined): string[] {
  if (Array.isArray(value)) return value.map((v) => v.trim()).filter(Boolean);
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

export = function (RED: NodeAPI): void {
  function DingTalkRobotInNode(this: Node, config: RobotInConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const keywordMode: KeywordMode = config.keywordMode === 'regex' ? 'regex' : 'contains';
    const filter = compileRobotFilter({
      chat: chatOption(config.chat),
      msgtypes: msgtypeList(config.msgtypes),
      keyword: config.keyword ?? '',
      keywordMode,
    });
    if (!filter.ok) {
      // A typo in the pattern must not crash the runtime nor silently drop every message.
      const text = RED._('dingtalk-robot-in.status.badRegex', { pattern: filter.pattern });
      node.status(configErrorStatus(text));
      node.error(RED._('dingtalk-robot-in.errors.badRegex', { pattern: filter.pattern, reason: filter.reason }));
      return;
    }
    attachTrigger(RED, node, config.app, { robot: true }, (stream) =>
      stream.onRobotMessage((push) => {
        const text = messageText(push.data);
        if (!filter.matches(push.data, text)) return;
        node.send(robotMessageToMsg(push, text));
      }),
    );
  }

  RED.nodes.registerType('dingtalk-robot-in', DingTalkRobotInNode);
};
