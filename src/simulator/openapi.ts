import { DINGTALK } from '../contract';
import type { CardStore } from './cards';
import type { FileStore } from './file-store';
import { dingError, legacyError, ok, type Route, type Router, type SimReply, type SimRequest } from './http-kit';
import { hex } from './ids';
import { registerMiscApi } from './misc-api';
import type { SessionStore } from './sessions';
import { BatchSendSchema, DownloadSchema, GroupSendSchema, TokenBodySchema, WebhookBodySchema, describeIssue } from './schemas';
import type { TokenStore } from './tokens';
import type { SentRecord, SimulatorApp } from './types';
import type { WorkflowEngine } from './workflow';
import { registerWorkflowControl, registerWorkflowRoutes } from './workflow-routes';

export interface OpenApiDeps {
  apps: () => Required<SimulatorApp>[];
  tokens: TokenStore;
  sessions: SessionStore;
  files: FileStore;
  cards: CardStore;
  apiBase: () => string;
  recordSent(record: Omit<SentRecord, 'at'>): void;
  workflow: WorkflowEngine;
}

type AuthedRoute = (req: SimRequest, app: Required<SimulatorApp>) => SimReply;

const TOKEN_HEADER = 'x-acs-dingtalk-access-token';

/** Known msgKeys and the msgParam keys each one needs (docs/protocol.md §6.4). */
const MSG_KEYS: Record<string, string[]> = {
  sampleText: ['content'],
  sampleMarkdown: ['title', 'text'],
  sampleImageMsg: ['photoURL'],
  sampleLink: ['text', 'title', 'picUrl', 'messageUrl'],
  sampleActionCard: ['title', 'text', 'singleTitle', 'singleURL'],
  sampleActionCard2: ['title', 'text'],
  sampleActionCard3: ['title', 'text'],
  sampleActionCard4: ['title', 'text'],
  sampleActionCard5: ['title', 'text'],
  sampleActionCard6: ['title', 'text', 'buttonTitle1', 'buttonUrl1', 'buttonTitle2', 'buttonUrl2'],
  sampleAudio: ['mediaId', 'duration'],
  sampleFile: ['mediaId', 'fileName', 'fileType'],
  sampleVideo: ['duration', 'videoMediaId', 'videoType', 'picMediaId'],
};

function withToken(deps: OpenApiDeps, route: AuthedRoute): Route {
  return (req) => {
    const clientId = deps.tokens.verify(req.headers[TOKEN_HEADER]);
    const app = clientId ? deps.apps().find((a) => a.clientId === clientId) : undefined;
    // DingTalk's global error-code page: an invalid or expired token is HTTP 400 InvalidAuthentication (docs/protocol.md §6.1-d).
    if (!app) return dingError(400, 'InvalidAuthentication', '不合法的access_token');
    return route(req, app);
  };
}

function invalidParam(code: string, message: string): SimReply {
  return dingError(400, code, message);
}

/** Checks robotCode/msgKey/msgParam the way the robot send APIs do; undefined when fine. */
function checkMessage(app: Required<SimulatorApp>, robotCode: string, msgKey: string, msgParam: string): SimReply | undefined {
  if (robotCode !== app.robotCode) {
    return invalidParam('invalidParameter.robotCode.auth', `robotCode ${robotCode} does not match the app of this access token`);
  }
  // The group-send page: msgParam "长度限制 15000 字节以内", refused with this code and message (both robot send pages
  // list the code; the number is only on the group page, so its use for batchSend is UNCONFIRMED).
  if (Buffer.byteLength(msgParam, 'utf8') > DINGTALK.robotMsgParamMaxBytes) return invalidParam('invalidParameter.msgParam.tooLong', '消息内容太长');
  const required = MSG_KEYS[msgKey];
  if (!required) return invalidParam('invalidParameter.msgKey.invalid', `msgKey ${msgKey} is not supported`);
  let param: unknown;
  try {
    param = JSON.parse(msgParam);
  } catch {
    return invalidParam('invalidParameter.msgParam.invalid', 'msgParam must be a JSON-encoded string');
  }
  if (typeof param !== 'object' || param === null || Array.isArray(param)) {
    return invalidParam('invalidParameter.msgParam.invalid', 'msgParam must encode a JSON object');
  }
  const missing = required.filter((key) => (param as Record<string, unknown>)[key] === undefined);
  if (missing.length > 0) {
    return invalidParam('invalidParameter.msgParam.invalid', `msgParam of ${msgKey} lacks ${missing.join(', ')}`);
  }
  return undefined;
}

/** Field-level message for a body whose msgParam is an object instead of a string. */
function sendBodyIssue(body: unknown, issue: string): SimReply {
  const msgParam = (body as { msgParam?: unknown } | undefined)?.msgParam;
  if (msgParam !== undefined && typeof msgParam !== 'string') {
    return invalidParam('invalidParameter.msgParam.invalid', 'msgParam must be a JSON-encoded string, not an object');
  }
  const userIds = (body as { userIds?: unknown } | undefined)?.userIds;
  if (Array.isArray(userIds) && userIds.length > DINGTALK.robotBatchSendMaxUsers) {
    // DingTalk's code for too many users (batchSend page error table).
    return invalidParam('invalidParameter.userIds.overMax', `userIds allows at most ${DINGTALK.robotBatchSendMaxUsers} users per call`);
  }
  return invalidParam('invalidParameter', `Invalid parameter: ${issue}`);
}

export function registerOpenApi(router: Router, deps: OpenApiDeps): void {
  // Calendar, to-do and legacy contact APIs for dingtalk-api (misc-api.ts).
  registerMiscApi(router, { apps: deps.apps, tokens: deps.tokens });
  router.add('POST', '/v1.0/oauth2/accessToken', (req) => {
    const parsed = TokenBodySchema.safeParse(req.body);
    if (!parsed.success) return dingError(400, 'MissingParameter', `Missing parameter: ${describeIssue(parsed.error)}`);
    const app = deps.apps().find((a) => a.clientId === parsed.data.appKey);
    if (!app || app.clientSecret !== parsed.data.appSecret) {
      // DingTalk's "获取企业内部应用的accessToken" page (obtain-the-access-token-of-an-internal-app), error table.
      return dingError(400, 'invalidClientIdOrSecret', '无效的clientId或者clientSecret');
    }
    return ok(deps.tokens.issue(app.clientId));
  });

  // Legacy token API (used by the official Node SDK's getAccessToken).
  router.add('GET', '/gettoken', (req) => {
    const app = deps.apps().find((a) => a.clientId === req.query.appkey);
    if (!app || app.clientSecret !== req.query.appsecret) return legacyError(40089, 'invalid appkey or appsecret');
    const { accessToken, expireIn } = deps.tokens.issue(app.clientId);
    return ok({ errcode: 0, errmsg: 'ok', access_token: accessToken, expires_in: expireIn });
  });

  router.add('POST', '/robot/sendBySession', (req) => {
    const session = deps.sessions.get(req.query.session);
    // What DingTalk answers for an expired or ended session, as logged in field reports (agentscope-ai/agentscope#1318,
    // agentscope-ai/QwenPaw#2221); DingTalk's docs do not list it. That the HTTP status is 200 is UNCONFIRMED.
    if (!session) return legacyError(300001, 'session 不存在');
    const parsed = WebhookBodySchema.safeParse(req.body);
    if (!parsed.success) return legacyError(40035, `invalid message body: ${describeIssue(parsed.error)}`);
    deps.recordSent({ kind: 'webhook', clientId: session.clientId, conversationId: session.conversationId, body: req.body });
    return ok({ errcode: 0, errmsg: 'ok' });
  });

  router.add(
    'POST',
    '/v1.0/robot/oToMessages/batchSend',
    withToken(deps, (req, app) => {
      const parsed = BatchSendSchema.safeParse(req.body);
      if (!parsed.success) return sendBodyIssue(req.body, describeIssue(parsed.error));
      const body = parsed.data;
      const problem = checkMessage(app, body.robotCode, body.msgKey, body.msgParam);
      if (problem) return problem;
      const invalidStaffIdList = body.userIds.filter((id) => id.startsWith('invalid'));
      const flowControlledStaffIdList = body.userIds.filter((id) => id.startsWith('flowControlled'));
      const delivered = body.userIds.filter((id) => !invalidStaffIdList.includes(id) && !flowControlledStaffIdList.includes(id));
      const processQueryKey = hex(20);
      if (delivered.length > 0) deps.recordSent({ kind: 'oto', clientId: app.clientId, userIds: delivered, body: req.body });
      return ok({ processQueryKey, invalidStaffIdList, flowControlledStaffIdList, filteredStaffIdList: [] });
    }),
  );

  const groupSend = (kind: 'group' | 'private'): Route =>
    withToken(deps, (req, app) => {
      const parsed = GroupSendSchema.safeParse(req.body);
      if (!parsed.success) return sendBodyIssue(req.body, describeIssue(parsed.error));
      const body = parsed.data;
      const problem = checkMessage(app, body.robotCode, body.msgKey, body.msgParam);
      if (problem) return problem;
      if (!body.openConversationId.startsWith('cid')) {
        return invalidParam('invalid.openConversationId', `openConversationId ${body.openConversationId} is not a conversation id (cid...)`);
      }
      deps.recordSent({ kind, clientId: app.clientId, openConversationId: body.openConversationId, body: req.body });
      return ok({ processQueryKey: hex(20) });
    });
  router.add('POST', '/v1.0/robot/groupMessages/send', groupSend('group'));
  router.add('POST', '/v1.0/robot/privateChatMessages/send', groupSend('private'));

  router.add(
    'POST',
    '/v1.0/robot/messageFiles/download',
    withToken(deps, (req, app) => {
      const parsed = DownloadSchema.safeParse(req.body);
      if (!parsed.success) return invalidParam('invalidParameter', `Invalid parameter: ${describeIssue(parsed.error)}`);
      if (parsed.data.robotCode !== app.robotCode) {
        return invalidParam('invalidParameter.robotCode.auth', `robotCode ${parsed.data.robotCode} does not match the app of this access token`);
      }
      const file = deps.files.get(parsed.data.downloadCode);
      if (!file || file.robotCode !== parsed.data.robotCode) {
        return invalidParam('invalidParameter.robotCode.downloadCode', 'downloadCode is invalid or expired');
      }
      return ok({ downloadUrl: `${deps.apiBase()}/sim/files/${deps.files.issueUrl(file)}.file` });
    }),
  );

  router.addPrefix('GET', '/sim/files/', (req) => {
    const id = req.path.slice('/sim/files/'.length).replace(/\.file$/, '');
    const file = deps.files.resolveUrl(id);
    if (!file)
      return {
        status: 403,
        raw: '<Error><Code>AccessDenied</Code><Message>Request has expired.</Message></Error>',
        headers: { 'Content-Type': 'application/xml' },
      };
    return { status: 200, raw: file.data, headers: { 'Content-Type': file.contentType } };
  });

  const cardRoute = (fn: (app: Required<SimulatorApp>, body: unknown) => SimReply): Route => withToken(deps, (req, app) => fn(app, req.body));
  router.add(
    'POST',
    '/v1.0/card/instances',
    cardRoute((app, body) => deps.cards.create(app, body)),
  );
  router.add(
    'POST',
    '/v1.0/card/instances/deliver',
    cardRoute((app, body) => deps.cards.deliver(app, body)),
  );
  router.add(
    'POST',
    '/v1.0/card/instances/createAndDeliver',
    cardRoute((app, body) => deps.cards.createAndDeliver(app, body)),
  );
  router.add(
    'PUT',
    '/v1.0/card/instances',
    cardRoute((app, body) => deps.cards.update(app, body)),
  );
  router.add(
    'PUT',
    '/v1.0/card/instances/spaces',
    cardRoute((app, body) => deps.cards.addSpaces(app, body)),
  );
  router.add(
    'PUT',
    '/v1.0/card/streaming',
    cardRoute((app, body) => deps.cards.streaming(app, body)),
  );

  registerWorkflowRoutes(router, deps.workflow, (route) => withToken(deps, route));
  registerWorkflowControl(router, deps.workflow, () => deps.apps()[0]?.clientId ?? '');
}
