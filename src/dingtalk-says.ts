import { LocalErrorCode } from './errors';
import { header, type HeaderMap } from './util/headers';

/**
 * What DingTalk's answers mean for us: how to read an error body, the advice a Node-RED user can act on (which
 * permission to request, which console page to open, what to change in the flow), and whether a refused request may
 * be sent again. The one place that knows DingTalk's codes: the OpenAPI client (src/api), the Stream gateway
 * (src/stream/gateway.ts), the card and robot calls ask here. Pure, so it is tested as a table.
 */

// ---- error bodies ---------------------------------------------------------------------------------------------

/** What an error body says, whichever of DingTalk's shapes it has. */
export interface FailureFacts {
  code?: string;
  message?: string;
  requestId?: string;
  requiredScopes?: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** New-style `{requestid, code, message}`, legacy `{errcode, errmsg}` and the per-IP flood ban, read alike. */
export function failureFacts(body: unknown, headers: HeaderMap): FailureFacts {
  const requestIdHeader = header(headers, 'x-acs-request-id');
  if (!isRecord(body)) return { requestId: requestIdHeader };
  // `AccessDeniedDetail` is how DingTalk's add-api-permission page shows it; the HTTP body spells keys in lower case.
  const detailRaw = body['accessdenieddetail'] ?? body['AccessDeniedDetail'];
  const detail = isRecord(detailRaw) ? detailRaw : undefined;
  const scopesRaw = detail?.['requiredScopes'];
  const requiredScopes = Array.isArray(scopesRaw) ? scopesRaw.filter((s): s is string => typeof s === 'string') : undefined;
  let code = str(body['code']);
  let message = str(body['message']) ?? str(body['errmsg']);
  if (code === undefined && typeof body['errcode'] === 'number' && body['errcode'] !== 0) code = String(body['errcode']);
  // Per-IP flood protection answers `{"status":1111,"punish":"deny"}` instead of an error object.
  if (body['punish'] === 'deny') {
    code ??= 'IpRateLimitBan';
    message ??= 'DingTalk blocked calls from this IP for about 5 minutes after too many requests (10 000 per 20 s per IP)';
  }
  return {
    code,
    message,
    requestId: str(body['requestid']) ?? str(body['requestId']) ?? str(body['request_id']) ?? requestIdHeader,
    requiredScopes: requiredScopes?.length ? requiredScopes : scopesFromMessage(message),
  };
}

/**
 * Bodies that are failures even under HTTP 200: legacy `{errcode: n}` with n ≠ 0 (session webhooks answer that
 * way) and the per-IP flood ban `{"punish":"deny"}`.
 */
export function isFailureBody(body: unknown): boolean {
  if (!isRecord(body)) return false;
  if (body['punish'] === 'deny') return true;
  return typeof body['errcode'] === 'number' && body['errcode'] !== 0;
}

// ---- sending again --------------------------------------------------------------------------------------------

/**
 * Throttling answers: DingTalk refused the call without acting on it, so it is retried even when it is a send.
 * Sources (apolloyyu/kb-dingtalk-open-platform crawl):
 * - 403 `Forbidden.AccessDenied.Qps|QpmLimitFor{AppkeyAndApi,Api,SuitekeyAndOrgAndApi}` and legacy errcodes 90018
 *   (per app and API) / 90002 (global): global error-code page (server-api-error-codes-1) and the throttling page
 *   (how-to-process-api-throttling-on-the-dingtalk-server). The `…ForSuitekeyAndOrgAndApi` ones are the ISV
 *   (third-party app) variants, per customer organisation.
 * - 429 (`system.busy`, `systemBusy` "请求太频繁"): global error-code page.
 * - HTTP 400 `send.too.fast`, `send.byToken.tooFast`, `too.many.group`, `too.many.people` (限流错误 / 发送频繁限流):
 *   the robot send pages (the-robot-sends-a-group-message, chatbots-send-one-on-one-chat-messages-in-batches).
 * - errcode 410100 "发送速度太快而限流": the robot webhook page (custom-robots-send-group-messages); that the
 *   session webhook answers it too is UNCONFIRMED.
 */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
  'Forbidden.AccessDenied.QpsLimitForApi',
  'Forbidden.AccessDenied.QpmLimitForAppkeyAndApi',
  'Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi',
  'Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi',
  '90018',
  '90002',
  'send.too.fast',
  'send.byToken.tooFast',
  'too.many.group',
  'too.many.people',
  '410100',
]);

export function isThrottling(status: number, code: string | undefined): boolean {
  if (status === 429) return true;
  return code !== undefined && THROTTLING_CODES.has(code);
}

/** Server errors and gateway timeouts, after which DingTalk may have acted (a robot message sent, then a 502). */
const MAYBE_ACTED_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);

/**
 * Whether a refused request may be sent again, by what DingTalk answered (retry.ts adds the waits and the budget):
 * - `throttled`: refused without acting (see THROTTLING_CODES): resend after DingTalk's wait, even a send.
 * - `unprocessed`: 503 Service Unavailable ("服务不可用，系统过载", global error-code page), refused without acting:
 *   resend, even a send. Not 503 `operationTimeout` ("请求超时", same page), which may come after DingTalk acted.
 * - `maybeActed`: DingTalk may have acted before failing: resend only what is safe to send twice; for a send the
 *   outcome is unknown.
 * - `unknownResult`: DingTalk's own "未知的发送结果" (`unknown.send.result`, HTTP 400, robot send pages): it does not
 *   know either, so the outcome is unknown and nothing is resent.
 * - `never`: a refusal that sending again cannot change.
 */
export type Resend = 'throttled' | 'unprocessed' | 'maybeActed' | 'unknownResult' | 'never';

export function resendAfter(status: number, code: string | undefined): Resend {
  if (isThrottling(status, code)) return 'throttled';
  if (status === 503 && code !== 'operationTimeout') return 'unprocessed';
  if (MAYBE_ACTED_STATUSES.has(status)) return 'maybeActed';
  if (code === 'unknown.send.result') return 'unknownResult';
  return 'never';
}

/** DingTalk refused the access token: the client drops it and repeats the call once with a new one. */
/**
 * Legacy oapi calls answer a bad token under HTTP 200: errcode 40014 "不合法的access_token" and 42001 "access_token超时"
 * (global error-code page, server-api-error-codes-1). Only under HTTP 200, the way legacy oapi answers.
 */
const LEGACY_TOKEN_CODES: ReadonlySet<string> = new Set(['40014', '42001']);

export function isTokenRefused(status: number, code: string | undefined): boolean {
  return status === 401 || code === 'InvalidAuthentication' || (status === 200 && code !== undefined && LEGACY_TOKEN_CODES.has(code));
}

/**
 * The session webhook is no longer valid: errcode 300001 ("session 不存在", seen in field reports such as
 * agentscope-ai/agentscope#1318; not in DingTalk's docs), the robot pages' `session.notExisted` / `session.expired`,
 * or our own check of sessionWebhookExpiredTime. Nothing was delivered, so another route is safe.
 */
const SESSION_GONE_CODES: ReadonlySet<string> = new Set(['300001', 'session.notExisted', 'session.expired', LocalErrorCode.WebhookExpired]);

export function isSessionGone(code: string | undefined): boolean {
  return code !== undefined && SESSION_GONE_CODES.has(code);
}

/**
 * DingTalk refused an AI card's text as too large: `param.stream.content` (its "AI卡片流式更新" page), or a message
 * saying so where the code is missing. CardStreamer then ends the card with the text's start (ADR 11).
 */
export function isCardTextTooLarge(code: string | undefined, message: string | undefined): boolean {
  return code === 'param.stream.content' || /content is too large/i.test(message ?? '');
}

/** The Stream gateway refused the app's credentials: a configuration problem that retrying soon cannot fix. */
export function isGatewayCredentialRefusal(status: number, code: string | undefined): boolean {
  return status === 401 || status === 403 || code === 'authFailed';
}

export const GATEWAY_CREDENTIALS_HINT =
  'Check in the DingTalk developer console that the ClientID (AppKey) and ClientSecret (AppSecret) were copied without ' +
  'spaces, that the app is published with Stream mode enabled (事件订阅/机器人 → Stream 模式), and that no outbound-IP ' +
  'whitelist blocks this machine.';

// ---- advice ---------------------------------------------------------------------------------------------------

export interface ErrorFacts {
  status: number;
  code?: string;
  message?: string;
  /** Path of the endpoint that failed, e.g. `/v1.0/card/instances`. */
  endpoint: string;
  /** Scopes DingTalk said are missing (`accessdenieddetail.requiredScopes` or `[scope]` in the message). */
  requiredScopes?: string[];
}

const CONSOLE_PERMISSIONS = 'in the DingTalk developer console (开发者后台 → 权限管理), then publish a new app version';

/**
 * How much of a server message the patterns below look at. DingTalk's messages are a sentence or two; a keyword
 * further in is not DingTalk's advice.
 */
const MAX_HINT_MESSAGE_CHARS = 2_000;

/**
 * Whether the patterns match in this order on one line, which is what `a.*b.*c` asks. That regex backtracks in time
 * growing with the text's length to the power of its `.*` count (docs/RELIABILITY.md, hostile input); this makes
 * one forward pass per pattern. Each pattern is a global alternation of words none of which contains another, so
 * the leftmost match also ends first and leaves the most room for the next pattern.
 */
function inOrderOnOneLine(text: string, patterns: readonly RegExp[]): boolean {
  for (const line of text.split(/[\n\r\u2028\u2029]/)) {
    let at = 0;
    let found = true;
    for (const pattern of patterns) {
      pattern.lastIndex = at;
      const match = pattern.exec(line);
      if (match === null) {
        found = false;
        break;
      }
      at = match.index + match[0].length;
    }
    if (found) return true;
  }
  return false;
}

/** The permission an endpoint needs, for when DingTalk does not name it. */
export function permissionFor(endpoint: string): string | undefined {
  for (const known of KNOWN_SCOPES) if (known.pattern.test(endpoint)) return known.scope;
  if (endpoint.startsWith('/v1.0/card/streaming')) return 'Card.Streaming.Write';
  if (endpoint.startsWith('/v1.0/card/')) return 'Card.Instance.Write';
  if (endpoint.startsWith('/v1.0/robot/')) return 'qyapi_robot_sendmsg';
  return undefined;
}

/**
 * Permissions of the endpoints dingtalk-api suggests, from each API page's 权限要求 (apolloyyu/kb-dingtalk-open-platform,
 * graph/api.jsonl `permission_scopes`): query-user-details, query-an-event-list / create-schedule,
 * add-dingtalk-to-do-task, address-book-search-user-id, user-management-acquires-the-list-departments,
 * asynchronous-sending-of-enterprise-session-messages.
 */
const KNOWN_SCOPES: ReadonlyArray<{ pattern: RegExp; scope: string }> = [
  { pattern: /^\/topapi\/v2\/user\/get$/, scope: 'qyapi_get_member' },
  { pattern: /^\/topapi\/v2\/department\/listsub$/, scope: 'qyapi_get_department_list' },
  { pattern: /^\/topapi\/message\/corpconversation\/asyncsend_v2$/, scope: 'qyapi_base' },
  { pattern: /^\/v1\.0\/contact\/users\/search$/, scope: 'qyapi_addresslist_search' },
  { pattern: /^\/v1\.0\/todo\/users\/[^/]+\/tasks$/, scope: 'Todo.Todo.Write' },
  // Approvals: obtains-the-details-of-a-single-approval-instance-pop (read), create-an-approval-instance,
  // approve-or-reject-the-approval-task, revoke-an-approval-instance, official-approval-adds-approval-comments (write).
  {
    pattern: /^\/v1\.0\/workflow\/processInstances$/,
    scope: 'Workflow.Instance.Read (to read an approval) or Workflow.Instance.Write (to start one)',
  },
  { pattern: /^\/v1\.0\/workflow\/processInstances\/(execute|terminate|comments)$/, scope: 'Workflow.Instance.Write' },
  // One path, two permissions: reading (GET) and writing (POST); the error facts do not carry the method.
  {
    pattern: /^\/v1\.0\/calendar\/users\/[^/]+\/calendars\/[^/]+\/events$/,
    scope: 'Calendar.Event.Read (to read) or Calendar.Event.Write (to write)',
  },
];

/** `应用尚未开通所需的权限：[qyapi_robot_sendmsg]` → `['qyapi_robot_sendmsg']`. */
export function scopesFromMessage(message: string | undefined): string[] {
  if (!message) return [];
  const bracket = /\[([A-Za-z0-9_.,\s]+)\]/.exec(message.slice(0, MAX_HINT_MESSAGE_CHARS));
  if (!bracket?.[1]) return [];
  return bracket[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^[A-Za-z][A-Za-z0-9_.]+$/.test(s));
}

const lower = (s: string | undefined): string => (s ?? '').toLowerCase();

function isIpWhitelist(f: ErrorFacts): boolean {
  const code = lower(f.code);
  if (code.includes('ipnotinwhitelist') || code.includes('whitelist')) return true;
  const msg = f.message ?? '';
  return /白名单|ip.?whitelist/i.test(msg) || inOrderOnOneLine(msg, [/\bip\b/gi, /white|list|allow/gi]);
}

function isPermission(f: ErrorFacts): boolean {
  const code = f.code ?? '';
  if (code.includes('PermissionDenied') || lower(code).includes('nopermission')) return true;
  // Legacy: 60011 "没有调用该接口的权限" under HTTP 200 (global error-code page, server-api-error-codes-1).
  if (code === '60011') return true;
  if (f.status === 403 && code.startsWith('Forbidden.AccessDenied')) return true;
  if (f.status === 403 && /权限|permission/i.test(f.message ?? '')) return true;
  return false;
}

function isBadCredentials(f: ErrorFacts): boolean {
  const code = lower(f.code);
  if (code === 'authfailed' || code.includes('invalidclient') || code.includes('appsecret') || code.includes('appkey')) return true;
  if (code === '40089' || code === '40001' || code === '40013') return true;
  if (f.endpoint.startsWith('/v1.0/oauth2/accessToken') && (f.status === 400 || f.status === 401 || f.status === 403)) return true;
  const msg = f.message ?? '';
  return msg.includes('鉴权失败') || inOrderOnOneLine(msg, [/invalid/gi, /appkey|appsecret|clientid|clientsecret/gi]);
}

function isWebhookExpiredMessage(msg: string): boolean {
  return /session/i.test(msg) && /(expire|invalid|not exist|过期|不存在|失效)/i.test(msg);
}

function isRobotNotInGroup(msg: string): boolean {
  return inOrderOnOneLine(msg, [/robot/gi, /not/gi, /in|exist/gi, /group/gi]) || inOrderOnOneLine(msg, [/机器人/g, /不在|未在/g, /群/g]);
}

function permissionHint(f: ErrorFacts): string {
  const scopes = f.requiredScopes?.length ? f.requiredScopes : scopesFromMessage(f.message);
  const scope = scopes.length ? scopes.join(', ') : permissionFor(f.endpoint);
  return scope
    ? `the app lacks a permission: request the ${scope} permission ${CONSOLE_PERMISSIONS}`
    : `the app lacks the permission this API needs: request it ${CONSOLE_PERMISSIONS}`;
}

/** One piece of advice: it applies when DingTalk answered one of `codes`, or when `also` sees its signs. */
interface HintRule {
  codes?: ReadonlySet<string>;
  also?: (f: ErrorFacts, message: string) => boolean;
  hint: string | ((f: ErrorFacts) => string);
}

const codes = (...list: string[]): ReadonlySet<string> => new Set(list);

export const WEBHOOK_EXPIRED_HINT =
  'the sessionWebhook expired (valid ~90 min after the message, and DingTalk may end it sooner); send through the robot API instead (dingtalk-send node, or the fallback of dingtalk-reply)';

/**
 * The advice, first match wins. The card codes are DingTalk's documented card refusals (all HTTP 400): its "创建卡片" /
 * "创建并投放卡片" pages (param.cardAlreadyExist, param.cardNotExist) and "AI卡片流式更新" page (param.stream.*); their
 * messages only repeat the code.
 */
const HINT_RULES: readonly HintRule[] = [
  {
    codes: codes('IpRateLimitBan'),
    hint: 'wait about 5 minutes before calling again, and spread the calls out: DingTalk bans an IP for 5 minutes after more than 10 000 calls in 20 s',
  },
  {
    codes: THROTTLING_CODES,
    also: (f) => f.status === 429,
    hint: 'DingTalk rate limit reached (20 requests per second per app and API, and per-minute limits on some APIs and on robot messages); slow the flow down, e.g. with a delay/rate-limit node, and try again',
  },
  {
    codes: codes('Forbidden.AccessDenied.ApiCountLimitForOrg', '90020'),
    hint: "the organisation's monthly OpenAPI call quota is used up (standard edition: 5 000 calls per month, docs/protocol.md §6.1-i); upgrade the DingTalk edition or wait for next month",
  },
  {
    also: isIpWhitelist,
    hint: "this server's outbound IP is not allowed: add it to the app's IP whitelist in the DingTalk developer console (开发者后台 → 开发管理 / 安全设置 → 服务器出口IP)",
  },
  { codes: SESSION_GONE_CODES, also: (_f, msg) => isWebhookExpiredMessage(msg), hint: WEBHOOK_EXPIRED_HINT },
  {
    codes: codes('invalidParameter.robotCode.auth'),
    hint: "robotCode does not belong to this app: use the app's robotCode (for internal apps it equals the ClientID/AppKey), shown in the developer console under 机器人",
  },
  {
    codes: codes('resource.unavailable', 'invalid.openConversationId'),
    also: (_f, msg) => isRobotNotInGroup(msg),
    hint: 'the robot cannot post there: check that the robot is enabled and has been added to the group (群设置 → 机器人 → 添加机器人), and that openConversationId is the group conversationId',
  },
  {
    codes: codes('invalidParameter.msgParam.invalid', 'invalidParameter.msgKey.invalid'),
    hint: 'msgKey/msgParam do not match: each msgKey (sampleText, sampleMarkdown, …) expects its own msgParam fields',
  },
  // Media upload refusals, legacy errcodes of the global error-code page (server-api-error-codes-1, docs/protocol.md §6.10).
  {
    codes: codes('40004', '40005'),
    hint: 'DingTalk does not take this file type: pictures jpg/gif/png/bmp, voice amr/mp3/wav, video mp4, files doc/docx/xls/xlsx/ppt/pptx/zip/pdf/rar; convert the file',
  },
  {
    codes: codes('40006'),
    hint: 'the file is larger than DingTalk takes (pictures, videos and files 20 MB, voice 2 MB by the upload page; the error-code page still says pictures 1 MB, files 10 MB): send a smaller file',
  },
  {
    codes: codes('40007', 'invalid.media.id', '34010', '34011'),
    hint: 'DingTalk does not know this mediaId: upload the file again (send the Buffer) and use the new mediaId',
  },
  {
    codes: codes('param.cardAlreadyExist'),
    hint: 'a card with this outTrackId already exists: use a new outTrackId for a new card (leave msg.outTrackId unset and one is generated), or change the existing card with the update operation',
  },
  {
    codes: codes('param.cardNotExist', 'param.stream.outTrackId'),
    hint: 'no card has this outTrackId: create the card first (create and deliver) and use the msg.outTrackId it outputs',
  },
  {
    codes: codes('param.stream.content'),
    hint: 'the streamed text is larger than DingTalk takes for one card (about 3 KB in all, 1 KB per appended piece): end the card and continue in a new one, or shorten the text',
  },
  {
    codes: codes('param.stream.contentEmpty'),
    hint: 'a streaming update had no text: DingTalk refuses empty content; send at least one character (an AI card waits "typing" until it gets a final, non-empty update)',
  },
  {
    also: (_f, msg) => /spaces of card is empty/i.test(msg),
    hint: 'the card has no space to go to: deliver it to a group conversationId or a user id (openSpaceId)',
  },
  // The approval pages' error tables (docs/protocol.md §6.9): get-instance, execute, terminate, comment, start.
  {
    codes: codes('processInstanceNotExist', 'aflowProcessInstNotExist'),
    hint: 'no approval has this processInstanceId in the organisation: check msg.processInstanceId (the bpms_* events and the start operation give it)',
  },
  {
    codes: codes('aflowProcessInstStatusException'),
    hint: 'the approval cannot be changed in its state: DingTalk refuses to revoke an approval within 15 seconds of its start, and any change to one that has already finished; read it with the get instance operation, and revoke no sooner than 15 s after the start',
  },
  {
    // revoke-an-approval-instance: errcode 820008 "审批系统错误", reason 您没有任务处理的权限.
    also: (_f, msg) => msg.includes('您没有任务处理的权限'),
    hint: 'only the originator may revoke an approval (or revoke it as the system: no operating user), and the template must allow it: OA审批管理后台 → 模板 → 高级设置 → 撤销/修改审批单 → 允许提交人撤销审批中的审批单',
  },
  {
    codes: codes('aflowProcessInstCanNotBeExecuted'),
    hint: "the task is not pending for this actioner (already done, cancelled, or someone else's): read the instance's tasks with the get instance operation, or leave msg.taskId unset so the pending task of msg.actionerUserId is used",
  },
  {
    codes: codes('formConverterError', 'illegalComponent'),
    hint: "the form does not fit the approval template: each key of msg.payload must be a component label of the template (e.g. 金额), with numbers for number and money fields and options from the template's list",
  },
  {
    codes: codes('processCodeError'),
    hint: "no approval template has this processCode: copy the template's processCode (PROC-...) from the approval admin (审批管理后台 → the template's edit page URL)",
  },
  { also: isPermission, hint: permissionHint },
  {
    also: isBadCredentials,
    hint: 'DingTalk refused the app credentials: check the ClientID (AppKey) and ClientSecret (AppSecret) in the app configuration (no extra spaces), and that the app is published',
  },
  {
    codes: codes('InvalidAuthentication', '40014', '42001'),
    also: (f) => f.status === 401,
    hint: 'the access token was refused even after fetching a new one: check that the credentials belong to this app and that the app is published',
  },
  {
    codes: codes('unknownPath'),
    also: (f) => f.status === 404,
    hint: 'the server does not know this API: check the API base URL (default https://api.dingtalk.com)',
  },
  { also: (f) => f.status >= 500, hint: 'DingTalk had a temporary problem; try again later' },
];

/** Advice for one failure, or undefined when we have nothing better than DingTalk's own message. */
export function hintFor(facts: ErrorFacts): string | undefined {
  const f = facts.message === undefined ? facts : { ...facts, message: facts.message.slice(0, MAX_HINT_MESSAGE_CHARS) };
  const code = f.code ?? '';
  const msg = f.message ?? '';
  for (const rule of HINT_RULES) {
    if (rule.codes?.has(code) || rule.also?.(f, msg)) return typeof rule.hint === 'string' ? rule.hint : rule.hint(f);
  }
  return undefined;
}

/** A file link DingTalk handed out was refused: such links last minutes, so an old one answers 403, 404 or 410. */
export function downloadHint(status: number): string | undefined {
  return status === 403 || status === 404 || status === 410
    ? 'download links are short-lived (minutes): ask for a new one (downloadMessageFile) and fetch it right away'
    : undefined;
}
