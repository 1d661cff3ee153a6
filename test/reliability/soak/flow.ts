/**
 * The flow the soak deploys: every path a user would build, with "probe" function nodes reporting what passes
 * through them to the runner (through `global.get('soak')`, see sut.ts).
 *
 *   robot-in -> route -> reply (session webhook)  -> probe "replied"
 *                     -> send (OpenAPI batchSend) -> probe "sent"
 *   event-in (ack waits for the flow) -> probe "event"
 *   card-in -> answer -> card-response -> probe "card-answered"
 *   catch (all) -> probe "caught";  status (all) -> probe "status"
 *
 * A robot message whose text starts with "send" goes the OpenAPI way (token, 403/429 throttling), the others reply
 * through the session webhook.
 */

const probe = (kind: string, key: string): string => `global.get('soak').report('${kind}', ${key}, msg); return msg;`;

export function soakFlow(apiBase: string): Array<Record<string, unknown>> {
  const tab = 'soak-tab';
  // Node-RED tells flow nodes from config nodes by their position on the workspace.
  let y = 0;
  const at = (): { x: number; y: number } => ({ x: 200, y: (y += 60) });
  const fn = (id: string, func: string, wires: string[][], outputs = 1): Record<string, unknown> => ({
    id,
    type: 'function',
    z: tab,
    ...at(),
    name: id,
    func,
    outputs,
    noerr: 0,
    initialize: '',
    finalize: '',
    libs: [],
    wires,
  });
  return [
    { id: tab, type: 'tab', label: 'soak' },
    { id: 'app', type: 'dingtalk-stream-app', name: 'soak app', apiBase, robotCode: '', proxy: '' },
    {
      id: 'robot-in',
      type: 'dingtalk-robot-in',
      z: tab,
      ...at(),
      app: 'app',
      chat: 'both',
      msgtypes: '',
      keyword: '',
      keywordMode: 'contains',
      wires: [['route']],
    },
    fn(
      'route',
      [
        "global.get('soak').report('robot', msg.dingtalk.msgId, msg);",
        'const key = msg.dingtalk.msgId;',
        "if (String(msg.payload).startsWith('send')) {",
        '  msg.userIds = [msg.dingtalk.senderStaffId];',
        "  msg.payload = 'sent for ' + key;",
        '  return [null, msg];',
        '}',
        "msg.payload = 'reply to ' + key;",
        'return [msg, null];',
      ].join('\n'),
      [['reply'], ['send']],
      2,
    ),
    {
      id: 'reply',
      type: 'dingtalk-reply',
      z: tab,
      ...at(),
      app: 'app',
      msgType: 'text',
      title: '',
      atSender: false,
      fallbackToApi: false,
      wires: [['replied']],
    },
    fn('replied', probe('replied', 'msg.dingtalk.msgId'), [[]]),
    {
      id: 'send',
      type: 'dingtalk-send',
      z: tab,
      ...at(),
      app: 'app',
      target: '',
      userIds: '',
      openConversationId: '',
      msgType: 'text',
      msgKey: '',
      msgParam: '',
      title: '',
      wires: [['sent']],
    },
    fn('sent', probe('sent', 'msg.dingtalk.msgId'), [[]]),
    {
      id: 'event-in',
      type: 'dingtalk-event-in',
      z: tab,
      ...at(),
      app: 'app',
      eventTypes: '',
      ackPolicy: 'flow',
      ackTimeout: '10',
      wires: [['event']],
    },
    fn('event', probe('event', 'msg.dingtalk.eventId'), [[]]),
    { id: 'card-in', type: 'dingtalk-card-in', z: tab, ...at(), app: 'app', deadline: '3', wires: [['answer']] },
    fn(
      'answer',
      "global.get('soak').report('card', msg.payload.outTrackId, msg);\nmsg.payload = { status: 'answered ' + msg.payload.outTrackId };\nreturn msg;",
      [['card-response']],
    ),
    { id: 'card-response', type: 'dingtalk-card-response', z: tab, ...at(), wires: [['card-answered']] },
    fn('card-answered', probe('card-answered', "msg.payload.status.replace('answered ', '')"), [[]]),
    { id: 'catch', type: 'catch', z: tab, ...at(), scope: null, uncaught: false, wires: [['caught']] },
    fn(
      'caught',
      // The key says which push the failed message came from, whatever node failed.
      "const key = (msg.dingtalk && (msg.dingtalk.msgId || msg.dingtalk.eventId)) || (msg.payload && msg.payload.outTrackId) || '';\n" +
        "global.get('soak').report('caught', key, msg);\nreturn null;",
      [[]],
    ),
    { id: 'status', type: 'status', z: tab, ...at(), scope: null, wires: [['status-probe']] },
    fn('status-probe', "global.get('soak').report('status', msg.status && msg.status.source ? msg.status.source.id : '', msg);\nreturn null;", [[]]),
  ];
}
