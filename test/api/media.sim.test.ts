import assert from 'node:assert/strict';
import { request } from 'undici';
import { OpenApiClient } from '../../src/api/http';
import { DingTalkError } from '../../src/api/errors';
import { MEDIA_UPLOAD_PATH, uploadMedia } from '../../src/api/media';
import { multipartBody } from '../../src/api/multipart';
import { DINGTALK } from '../../src/contract';
import { DingTalkSimulator, SIMULATOR_APP, makePng } from '../../src/simulator';

/** The media upload client against the simulator, and the simulator's answers as DingTalk documents them (§6.10). */
describe('api/media upload', function () {
  let sim: DingTalkSimulator;
  let api: OpenApiClient;
  beforeEach(async () => {
    sim = new DingTalkSimulator();
    await sim.start();
    api = new OpenApiClient({
      clientId: SIMULATOR_APP.clientId,
      clientSecret: SIMULATOR_APP.clientSecret,
      apiBase: sim.apiBase,
      retry: { baseDelayMs: 1 },
    });
  });
  afterEach(async () => {
    await api.close();
    await sim.stop();
  });

  it('uploads a Buffer as multipart field `media` with `type`, the token in the query, and returns media_id', async () => {
    const png = makePng(3, 3);
    const uploaded = await uploadMedia(api, { type: 'image', data: png, fileName: 'dot.png', contentType: 'image/png' });
    assert.match(uploaded.mediaId, /^@/);
    const stored = sim.media.get(uploaded.mediaId)!;
    assert.ok(stored.data.equals(png));
    assert.equal(stored.fileName, 'dot.png');
    assert.equal(stored.contentType, 'image/png');
    const req = sim.requests.find((r) => r.path === MEDIA_UPLOAD_PATH)!;
    assert.match(req.headers['content-type'] ?? '', /^multipart\/form-data; boundary=/);
    assert.equal(req.headers['content-length'], String((req.body as { bytes: number }).bytes));
    assert.ok(req.query['access_token']);
  });

  it('refuses a file over the limit or of the wrong format before sending a byte', async () => {
    const tooBig = Buffer.alloc(DINGTALK.mediaUpload.voice.maxBytes + 1);
    await assert.rejects(
      uploadMedia(api, { type: 'voice', data: tooBig, fileName: 'a.amr', contentType: 'audio/amr' }),
      /over DingTalk's limit of 2000000 bytes/,
    );
    await assert.rejects(uploadMedia(api, { type: 'file', data: Buffer.from('x'), fileName: 'a.txt', contentType: 'text/plain' }), /not "txt"/);
    await assert.rejects(uploadMedia(api, { type: 'image', data: Buffer.alloc(0), fileName: 'a.png', contentType: 'image/png' }), /empty/);
    assert.equal(sim.requests.filter((r) => r.path === MEDIA_UPLOAD_PATH).length, 0);
  });

  it('takes a file of exactly the limit: client and simulator agree on the boundary (contract.ts)', async () => {
    const atLimit = Buffer.alloc(DINGTALK.mediaUpload.voice.maxBytes);
    atLimit.write('#!AMR\n', 0, 'latin1');
    const uploaded = await uploadMedia(api, { type: 'voice', data: atLimit, fileName: 'long.amr', contentType: 'audio/amr' });
    assert.equal(sim.media.get(uploaded.mediaId)?.data.length, DINGTALK.mediaUpload.voice.maxBytes);
  });

  it('is resent after a 500 (unlike a send): a second upload leaves only an unused media_id (ADR 0014)', async () => {
    sim.failNext({ path: MEDIA_UPLOAD_PATH, status: 500 });
    const uploaded = await uploadMedia(api, { type: 'image', data: makePng(), fileName: 'a.png', contentType: 'image/png' });
    assert.ok(sim.media.get(uploaded.mediaId));
    assert.equal(sim.requests.filter((r) => r.path === MEDIA_UPLOAD_PATH).length, 2);
  });

  it("turns DingTalk's legacy refusal into a DingTalkError with its errcode", async () => {
    sim.failNext({ path: MEDIA_UPLOAD_PATH, status: 200, code: '40006', message: '不合法的文件大小' });
    const err = await uploadMedia(api, { type: 'image', data: makePng(), fileName: 'a.png', contentType: 'image/png' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DingTalkError);
    assert.equal(err.code, '40006');
  });

  describe('the simulated endpoint, asked directly', () => {
    async function post(fields: Record<string, string>, file: { name: string; data: Buffer }, token?: string): Promise<Record<string, unknown>> {
      const body = multipartBody(fields, { field: 'media', fileName: file.name, contentType: 'application/octet-stream', data: file.data });
      const access = token ?? (await api.getAccessToken());
      const res = await request(`${sim.apiBase}${MEDIA_UPLOAD_PATH}?access_token=${encodeURIComponent(access)}`, {
        method: 'POST',
        headers: { 'content-type': body.contentType },
        body: Buffer.concat([...body.chunks()]),
      });
      return (await res.body.json()) as Record<string, unknown>;
    }

    it('answers 40004 for an unknown type, 40005 for a format, 40006 for a size, 40014 for a bad token', async () => {
      assert.deepEqual(await post({ type: 'sticker' }, { name: 'a.png', data: makePng() }), { errcode: 40004, errmsg: '不合法的媒体文件类型' });
      assert.deepEqual(await post({ type: 'file' }, { name: 'a.txt', data: Buffer.from('x') }), { errcode: 40005, errmsg: '不合法的文件类型' });
      const big = Buffer.alloc(DINGTALK.mediaUpload.voice.maxBytes + 1);
      assert.deepEqual(await post({ type: 'voice' }, { name: 'a.amr', data: big }), { errcode: 40006, errmsg: '不合法的文件大小' });
      assert.deepEqual(await post({ type: 'image' }, { name: 'a.png', data: makePng() }, 'not-a-token'), {
        errcode: 40014,
        errmsg: '不合法的access_token',
      });
      const fine = await post({ type: 'file' }, { name: 'r.pdf', data: Buffer.from('%PDF-1.4') });
      assert.equal(fine['errcode'], 0);
      assert.equal(fine['type'], 'file');
    });

    it('serves an uploaded file at /sim/media/<media_id> for the playground page', async () => {
      const png = makePng(2, 2);
      const { mediaId } = await uploadMedia(api, { type: 'image', data: png, fileName: 'p.png', contentType: 'image/png' });
      const res = await request(`${sim.apiBase}/sim/media/${encodeURIComponent(mediaId)}`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'image/png');
      assert.ok(Buffer.from(await res.body.arrayBuffer()).equals(png));
    });
  });
});
