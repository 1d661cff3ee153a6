/**
 * A few server APIs beyond robots and cards, for dingtalk-api and its example: one new API read (calendar events),
 * one new API write (to-dos) and one legacy oapi call (user details), each as its DingTalk page documents it
 * (apolloyyu/kb-dingtalk-open-platform, by page slug). The legacy call reads the token from the `access_token` query
 * parameter only, as DingTalk's error-code page says it must be ("access_token这个参数应该是带在url后面的", 40014).
 */
import { dingError, legacyError, ok, type Route, type Router, type SimReply, type SimRequest } from './http-kit';
import { hex } from './ids';
import type { TokenStore } from './tokens';
import type { SimulatorApp } from './types';

export interface MiscApiDeps {
  apps: () => Required<SimulatorApp>[];
  tokens: TokenStore;
}

const TOKEN_HEADER = 'x-acs-dingtalk-access-token';

/** The users the legacy user/get knows; any other userid is 60121 "找不到该用户" (server-api-error-codes-1). */
const KNOWN_USERS: Record<string, { name: string; unionid: string; title: string }> = {
  manager001: { name: '王经理', unionid: 'unionManager001', title: '财务经理' },
  user001: { name: '张三', unionid: 'unionUser001', title: '工程师' },
};

function appOf(deps: MiscApiDeps, token: string | undefined): Required<SimulatorApp> | undefined {
  const clientId = deps.tokens.verify(token);
  return clientId ? deps.apps().find((a) => a.clientId === clientId) : undefined;
}

/** New API: the token header only (the global error-code page: a bad token is HTTP 400 InvalidAuthentication). */
function newApi(deps: MiscApiDeps, route: (req: SimRequest) => SimReply): Route {
  return (req) => (appOf(deps, req.headers[TOKEN_HEADER]) ? route(req) : dingError(400, 'InvalidAuthentication', '不合法的access_token'));
}

/** Legacy oapi: the `access_token` query parameter only; a bad or missing one is errcode 40014 under HTTP 200. */
function legacyApi(deps: MiscApiDeps, route: (req: SimRequest) => SimReply): Route {
  return (req) => (appOf(deps, req.query['access_token']) ? route(req) : legacyError(40014, '不合法的access_token'));
}

const CALENDAR_EVENTS = /^\/v1\.0\/calendar\/users\/([^/]+)\/calendars\/([^/]+)\/events$/;
const TODO_TASKS = /^\/v1\.0\/todo\/users\/([^/]+)\/tasks$/;

export function registerMiscApi(router: Router, deps: MiscApiDeps): void {
  // query-an-event-list: GET /v1.0/calendar/users/{userId}/calendars/{calendarId}/events → { events, nextToken }.
  router.addPrefix(
    'GET',
    '/v1.0/calendar/users/',
    newApi(deps, (req) => {
      const match = CALENDAR_EVENTS.exec(req.path);
      if (!match) return dingError(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method. (GET ${req.path})`);
      const unionId = decodeURIComponent(match[1] ?? '');
      return ok({
        events: [
          {
            id: `evt${hex(8)}`,
            summary: 'Weekly sync',
            description: `simulated event of ${unionId}`,
            start: { dateTime: '2026-01-05T10:00:00+08:00', timeZone: 'Asia/Shanghai' },
            end: { dateTime: '2026-01-05T11:00:00+08:00', timeZone: 'Asia/Shanghai' },
            isAllDay: false,
          },
        ],
      });
    }),
  );

  // add-dingtalk-to-do-task: POST /v1.0/todo/users/{unionId}/tasks, body { subject, ... } → the task.
  router.addPrefix(
    'POST',
    '/v1.0/todo/users/',
    newApi(deps, (req) => {
      const match = TODO_TASKS.exec(req.path);
      if (!match) return dingError(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method. (POST ${req.path})`);
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (typeof body['subject'] !== 'string' || body['subject'] === '')
        return dingError(400, 'MissingSubject', 'subject is mandatory for this action.');
      const now = Date.now();
      const creatorId = decodeURIComponent(match[1] ?? '');
      return ok({
        id: `task${hex(8)}`,
        subject: body['subject'],
        done: false,
        executorIds: Array.isArray(body['executorIds']) ? body['executorIds'] : [],
        createdTime: now,
        modifiedTime: now,
        creatorId,
        requestId: hex(8),
      });
    }),
  );

  // query-user-details: POST https://oapi.dingtalk.com/topapi/v2/user/get?access_token=…, body { userid, language }.
  router.add(
    'POST',
    '/topapi/v2/user/get',
    legacyApi(deps, (req) => {
      const userid = (req.body as { userid?: unknown } | undefined)?.userid;
      const user = typeof userid === 'string' ? KNOWN_USERS[userid] : undefined;
      if (!user || typeof userid !== 'string') return legacyError(60121, '找不到该用户');
      return ok({ errcode: 0, errmsg: 'ok', result: { userid, ...user, active: true }, request_id: hex(12) });
    }),
  );
}
