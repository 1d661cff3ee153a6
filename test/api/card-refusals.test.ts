/**
 * A card call answered HTTP 200 with a refusal (`success: false`, or every space refusing the delivery) puts DingTalk's
 * message into the error. That message came uncut: a 1 MB message made a 1 MB error, logged and shown as it was. It is
 * now cut like every other server message (src/util/text.ts, MAX_SERVER_MESSAGE_CHARS: 360 characters).
 */
import assert from 'node:assert/strict';
import { createAndDeliverCard, updateCard } from '../../src/api/card';
import { OpenApiClient } from '../../src/api/http';
import { MAX_SERVER_MESSAGE_CHARS } from '../../src/util/text';
import { rejection, startLocalServer, type LocalServer } from './helpers';

const MB = 1024 * 1024;
/** The error holds the cut message plus endpoint, status and hint: well under this. */
const MAX_ERROR_CHARS = 1_000;

describe('api: card refusals quote a cut message', function () {
  this.timeout(20_000);
  let server: LocalServer;
  let answer: unknown;
  const clients: OpenApiClient[] = [];

  before(async () => {
    server = await startLocalServer();
    server.handle = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.startsWith('/v1.0/oauth2/accessToken')) return void res.end(JSON.stringify({ accessToken: 'refusal-token', expireIn: 7200 }));
      res.end(JSON.stringify(answer));
    };
  });
  after(() => server.close());
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  function client(): OpenApiClient {
    const api = new OpenApiClient({ clientId: 'dingrefusal', clientSecret: 'refusal-secret', apiBase: server.base, maxRetries: 0 });
    clients.push(api);
    return api;
  }

  it('success: false with a 1 MB message: the error quotes its start only', async () => {
    answer = { success: false, message: `card refused: ${'x'.repeat(MB)}` };
    const err = await rejection(updateCard(client(), { outTrackId: 'card-1', cardData: { a: '1' } }));
    assert.match(err.message, /card refused: xxxx/);
    assert.ok(err.message.length < MAX_ERROR_CHARS, `the error is ${err.message.length} characters`);
    assert.ok(err.summary.length <= MAX_SERVER_MESSAGE_CHARS, `the summary is ${err.summary.length} characters`);
  });

  it('every space refusing with a 1 MB errorMsg: message and detail quote its start only', async () => {
    answer = {
      success: true,
      result: {
        outTrackId: 'card-2',
        deliverResults: [{ spaceType: 'IM_GROUP', spaceId: 'cid1', success: false, errorMsg: `no way ${'y'.repeat(MB)}` }],
      },
    };
    const err = await rejection(
      createAndDeliverCard(client(), { cardTemplateId: 'tpl', outTrackId: 'card-2', robotCode: 'dingrefusal', conversationId: 'cid1' }),
    );
    assert.equal(err.code, 'CardDeliverFailed');
    assert.match(err.message, /not delivered: IM_GROUP cid1: no way yyyy/);
    assert.ok(err.message.length < MAX_ERROR_CHARS, `the error is ${err.message.length} characters`);
    assert.ok((err.detail ?? '').length <= MAX_SERVER_MESSAGE_CHARS, `the detail is ${err.detail?.length} characters`);
  });

  it('a short message is quoted whole', async () => {
    answer = { success: false, message: 'spaces of card is empty' };
    const err = await rejection(updateCard(client(), { outTrackId: 'card-3', cardData: { a: '1' } }));
    assert.match(err.message, /spaces of card is empty — the card has no space to go to/);
  });
});
