/**
 * Turns DingTalk's error answers into advice a Node-RED user can act on: which permission to request, which
 * console page to open, what to change in the flow. Kept apart from the transport so it can be tested as a table.
 */

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
 * further in is not DingTalk's advice, and a card answer's message reaches here uncut (up to 4 MB).
 */
const MAX_HINT_MESSAGE_CHARS = 2_000;

/**
 * Whether the patterns match in this order on one line, which is what `a.*b.*c` asks. That regex backtracks in time
 * growing with the text's length to the power of its `.*` count (20 KB of "robot not " took 14 s); this makes
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
const THROTTLING_CODES = new Set([
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

/** The permission an endpoint needs, for when DingTalk does not name it. */
export function permissionFor(endpoint: string): string | undefined {
  if (endpoint.startsWith('/v1.0/card/streaming')) return 'Card.Streaming.Write';
  if (endpoint.startsWith('/v1.0/card/')) return 'Card.Instance.Write';
  if (endpoint.startsWith('/v1.0/robot/')) return 'qyapi_robot_sendmsg';
  return undefined;
}

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

function isInvalidToken(f: ErrorFacts): boolean {
  const code = f.code ?? '';
  return code === 'InvalidAuthentication' || code === '40014' || code === '42001' || f.status === 401;
}

/** 300001 "session 不存在" on a session webhook (field reports), the robot pages' session.notExisted/expired, or ours. */
function isWebhookExpired(f: ErrorFacts): boolean {
  if (f.code === '300001' || f.code === 'SessionWebhookExpired' || f.code === 'session.notExisted' || f.code === 'session.expired') return true;
  return /session/i.test(f.message ?? '') && /(expire|invalid|not exist|过期|不存在|失效)/i.test(f.message ?? '');
}

function isRobotNotInGroup(msg: string): boolean {
  return inOrderOnOneLine(msg, [/robot/gi, /not/gi, /in|exist/gi, /group/gi]) || inOrderOnOneLine(msg, [/机器人/g, /不在|未在/g, /群/g]);
}

/**
 * DingTalk's documented card refusals (all HTTP 400): its "创建卡片" / "创建并投放卡片" pages (param.cardAlreadyExist,
 * param.cardNotExist) and "AI卡片流式更新" page (param.stream.*). Their messages only repeat the code.
 */
function cardHint(code: string): string | undefined {
  switch (code) {
    case 'param.cardAlreadyExist':
      return 'a card with this outTrackId already exists: use a new outTrackId for a new card (leave msg.outTrackId unset and one is generated), or change the existing card with the update operation';
    case 'param.cardNotExist':
    case 'param.stream.outTrackId':
      return 'no card has this outTrackId: create the card first (create and deliver) and use the msg.outTrackId it outputs';
    case 'param.stream.content':
      return 'the streamed text is larger than DingTalk takes for one card (about 3 KB in all, 1 KB per appended piece): end the card and continue in a new one, or shorten the text';
    case 'param.stream.contentEmpty':
      return 'a streaming update had no text: DingTalk refuses empty content; send at least one character (an AI card waits "typing" until it gets a final, non-empty update)';
    default:
      return undefined;
  }
}

/** Advice for one failure, or undefined when we have nothing better than DingTalk's own message. */
export function hintFor(facts: ErrorFacts): string | undefined {
  const f = facts.message === undefined ? facts : { ...facts, message: facts.message.slice(0, MAX_HINT_MESSAGE_CHARS) };
  const code = f.code ?? '';
  const msg = f.message ?? '';

  if (code === 'IpRateLimitBan') {
    return 'wait about 5 minutes before calling again, and spread the calls out: DingTalk bans an IP for 5 minutes after more than 10 000 calls in 20 s';
  }
  if (isThrottling(f.status, f.code)) {
    return 'DingTalk rate limit reached (20 requests per second per app and API, and per-minute limits on some APIs and on robot messages); slow the flow down, e.g. with a delay/rate-limit node, and try again';
  }
  if (code === 'Forbidden.AccessDenied.ApiCountLimitForOrg' || code === '90020') {
    return "the organisation's monthly OpenAPI call quota is used up (standard edition: 5 000 calls per month, docs/protocol.md §6.1-i); upgrade the DingTalk edition or wait for next month";
  }
  if (isIpWhitelist(f)) {
    return "this server's outbound IP is not allowed: add it to the app's IP whitelist in the DingTalk developer console (开发者后台 → 开发管理 / 安全设置 → 服务器出口IP)";
  }
  if (isWebhookExpired(f)) {
    return 'the sessionWebhook expired (valid ~90 min after the message, and DingTalk may end it sooner); send through the robot API instead (dingtalk-send node, or the fallback of dingtalk-reply)';
  }
  if (code === 'invalidParameter.robotCode.auth') {
    return "robotCode does not belong to this app: use the app's robotCode (for internal apps it equals the ClientID/AppKey), shown in the developer console under 机器人";
  }
  if (code === 'resource.unavailable' || code === 'invalid.openConversationId' || isRobotNotInGroup(msg)) {
    return 'the robot cannot post there: check that the robot is enabled and has been added to the group (群设置 → 机器人 → 添加机器人), and that openConversationId is the group conversationId';
  }
  if (code === 'invalidParameter.msgParam.invalid' || code === 'invalidParameter.msgKey.invalid') {
    return 'msgKey/msgParam do not match: each msgKey (sampleText, sampleMarkdown, …) expects its own msgParam fields';
  }
  const card = cardHint(code);
  if (card) return card;
  if (/spaces of card is empty/i.test(msg)) {
    return 'the card has no space to go to: deliver it to a group conversationId or a user id (openSpaceId)';
  }
  if (isPermission(f)) {
    const scopes = f.requiredScopes?.length ? f.requiredScopes : scopesFromMessage(msg);
    const scope = scopes.length ? scopes.join(', ') : permissionFor(f.endpoint);
    return scope
      ? `the app lacks a permission: request the ${scope} permission ${CONSOLE_PERMISSIONS}`
      : `the app lacks the permission this API needs: request it ${CONSOLE_PERMISSIONS}`;
  }
  if (isBadCredentials(f)) {
    return 'DingTalk refused the app credentials: check the ClientID (AppKey) and ClientSecret (AppSecret) in the app configuration (no extra spaces), and that the app is published';
  }
  if (isInvalidToken(f)) {
    return 'the access token was refused even after fetching a new one: check that the credentials belong to this app and that the app is published';
  }
  if (code === 'unknownPath' || f.status === 404) {
    return 'the server does not know this API: check the API base URL (default https://api.dingtalk.com)';
  }
  if (f.status >= 500) {
    return 'DingTalk had a temporary problem; try again later';
  }
  return undefined;
}
