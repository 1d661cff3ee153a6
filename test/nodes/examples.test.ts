/**
 * Every example flow of `examples/` deployed as shipped (only the app's apiBase and credentials filled in), driven the
 * way a user would (a robot message, an event or a card click from the simulator, an inject button), and checked
 * against what its comment node promises, by what the simulator received. card-in-and-response.json and event-in.json
 * are in trigger-examples.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { SIM_DEFAULT_APPROVER, type SentRecord } from '../../src/simulator';
import { pictureFile, textFile } from '../../src/simulator/fixtures';
import { ACTION_MODULES, ALL_MODULES, FAST_TIMINGS, Inbox, exampleFlow, helper, useNodeRedWithSimulator } from './support';
import { requireFromRuntime } from './runtime';

const CORE = '@node-red/nodes/core';
/** The core nodes the examples use; catch is loaded by the test helper itself. */
const CORE_MODULES: unknown[] = [
  requireFromRuntime(`${CORE}/common/20-inject.js`),
  requireFromRuntime(`${CORE}/common/21-debug.js`),
  requireFromRuntime(`${CORE}/common/90-comment.js`),
  requireFromRuntime(`${CORE}/function/10-function.js`),
  requireFromRuntime(`${CORE}/function/89-delay.js`),
  requireFromRuntime(`${CORE}/function/10-switch.js`),
  requireFromRuntime(`${CORE}/function/15-change.js`),
  requireFromRuntime(`${CORE}/function/80-template.js`),
];

/** Where examples/file.json saves what users send. */
const FILE_EXAMPLE_DIR = '/tmp/dingtalk-files';

/** The text of a webhook reply or of a robot-API send (whose msgParam is a JSON string). */
function sentText(sent: SentRecord): string {
  const body = sent.body as Record<string, any>;
  if (sent.kind === 'webhook') return String(body['text']?.content ?? body['markdown']?.text ?? '');
  const param = JSON.parse(String(body['msgParam'])) as Record<string, unknown>;
  return String(param['content'] ?? param['text'] ?? '');
}

/** The props of an inject node of the flow with some replaced: what a user does who edits the inject and presses it. */
function editedInjectProps(flow: Record<string, unknown>[], injectId: string, changes: Record<string, { v: string; vt: string }>): unknown[] {
  const inject = flow.find((n) => n['id'] === injectId)!;
  return (inject['props'] as Array<{ p: string; v?: string; vt?: string }>).map((prop) => {
    if (changes[prop.p]) return { p: prop.p, ...changes[prop.p] };
    if (prop.p === 'payload' && prop.v === undefined) return { p: 'payload', v: inject['payload'], vt: inject['payloadType'] };
    return prop;
  });
}

describe('example flows (actions and round trips)', function () {
  const env = useNodeRedWithSimulator(FAST_TIMINGS);

  /** Loads the example as shipped, checks every node of it was created, and waits for the Stream connection if it has triggers. */
  async function deploy(file: string, opts: { stream: boolean }): Promise<Record<string, unknown>[]> {
    const { flow, credentials } = exampleFlow(file, env.sim);
    await helper.load([...ALL_MODULES, ...ACTION_MODULES, ...CORE_MODULES], flow, credentials);
    for (const node of flow) {
      if (node['type'] === 'tab') continue;
      assert.ok(helper.getNode(String(node['id'])), `${file}: node ${String(node['id'])} (${String(node['type'])}) was not deployed`);
    }
    if (opts.stream) await env.sim.waitForConnection();
    return flow;
  }

  const inbox = (id: string): Inbox => new Inbox(helper.getNode(id)!);

  describe('robot-in.json', function () {
    it('replies to a text message in a 1:1 chat through its session webhook, "<nick> said: <text>"', async () => {
      await deploy('robot-in.json', { stream: true });
      const debug = inbox('c0a1e5b2d3f40005');
      const push = env.sim.robotMessage({ text: 'hello robot', senderNick: '李四' });
      const conversationId = String((push.data as Record<string, unknown>)['conversationId']);
      const reply = await env.sim.waitForSent((s) => s.kind === 'webhook');
      assert.equal(reply.conversationId, conversationId);
      assert.equal(sentText(reply), '李四 said: hello robot');
      const seen = await debug.nth(1);
      assert.equal(seen['payload'], 'hello robot');
      assert.equal(seen['topic'], conversationId);
    });

    it('replies to an @mention in a group without the mention', async () => {
      await deploy('robot-in.json', { stream: true });
      env.sim.robotMessage({ text: 'status?', conversationType: '2', senderNick: '王五' });
      const reply = await env.sim.waitForSent((s) => s.kind === 'webhook');
      assert.equal(sentText(reply), '王五 said: status?');
    });

    it('answers text messages only: a picture gets no reply', async () => {
      await deploy('robot-in.json', { stream: true });
      const picture = env.sim.robotMessage({ msgtype: 'picture' });
      await picture.acked;
      const text = env.sim.robotMessage({ text: 'after the picture' });
      const reply = await env.sim.waitForSent((s) => s.kind === 'webhook');
      assert.equal(reply.conversationId, (text.data as Record<string, unknown>)['conversationId']);
      assert.deepEqual(
        env.sim.sent.filter((s) => s.conversationId === (picture.data as Record<string, unknown>)['conversationId']),
        [],
      );
    });
  });

  describe('echo-robot.json', function () {
    it("says back what the user wrote, in the same chat, and passes on DingTalk's answer", async () => {
      await deploy('echo-robot.json', { stream: true });
      const cameIn = inbox('e1c0a0b0c0d00005');
      const answer = inbox('e1c0a0b0c0d00006');
      const push = env.sim.robotMessage({ text: 'ping', conversationType: '2', senderNick: '张三' });
      const reply = await env.sim.waitForSent((s) => s.kind === 'webhook');
      assert.equal(reply.conversationId, (push.data as Record<string, unknown>)['conversationId']);
      assert.equal(sentText(reply), '张三 said: ping');
      assert.equal((await cameIn.nth(1))['dingtalk'].conversationId, reply.conversationId);
      assert.ok((await answer.nth(1))['dingtalkResponse'], 'the "DingTalk\'s answer" debug node gets msg.dingtalkResponse');
    });

    it('reports a failing reply (expired webhook) to its Catch node with a message that says what to do', async () => {
      await deploy('echo-robot.json', { stream: true });
      const why = inbox('e1c0a0b0c0d00009');
      env.sim.robotMessage({ text: 'too late', sessionWebhookExpiredTime: Date.now() - 60_000 });
      const caught = await why.nth(1);
      const message = String(caught['error']?.message);
      assert.match(message, /expired/i);
      assert.match(message, /robot API|fallback/i, `the error should say what to do: ${message}`);
      assert.deepEqual(env.sim.sent, []);
    });
  });

  describe('reply.json', function () {
    it('answers "You said: <text>" in the same chat, mentioning the sender, and shows DingTalk\'s answer', async () => {
      await deploy('reply.json', { stream: true });
      const answer = inbox('c0a1e0f000000005');
      const push = env.sim.robotMessage({ text: 'good morning', senderStaffId: 'staff123' });
      const reply = await env.sim.waitForSent((s) => s.kind === 'webhook');
      assert.equal(reply.conversationId, (push.data as Record<string, unknown>)['conversationId']);
      assert.match(sentText(reply), /^You said: good morning/);
      assert.match(sentText(reply), /@staff123/, 'the mention is rendered from the text');
      assert.deepEqual((reply.body as Record<string, any>)['at']?.atUserIds, ['staff123']);
      assert.ok((await answer.nth(1))['dingtalkResponse']);
    });

    // Mustache's double braces HTML-escape: the example uses triple braces so "Tom & Jerry <3" is not sent as entities.
    it('echoes special characters as written (the template must not HTML-escape {{payload}})', async () => {
      await deploy('reply.json', { stream: true });
      env.sim.robotMessage({ text: 'Tom & Jerry <3 a/b', senderStaffId: 'staff123' });
      const reply = await env.sim.waitForSent((s) => s.kind === 'webhook');
      assert.match(sentText(reply), /^You said: Tom & Jerry <3 a\/b/);
    });

    it('reports a failed reply to its Catch node ("why")', async () => {
      await deploy('reply.json', { stream: true });
      const why = inbox('c0a1e0f000000007');
      env.sim.robotMessage({ text: 'late', sessionWebhookExpiredTime: Date.now() - 60_000 });
      assert.match(String((await why.nth(1))['error']?.message), /expired/i);
      assert.deepEqual(env.sim.sent, []);
    });
  });

  describe('reply-with-chart.json', function () {
    it('answers "chart 3 7 2" with a PNG bar chart, uploaded and sent as a picture to the same group', async () => {
      await deploy('reply-with-chart.json', { stream: true });
      const answer = inbox('c0a1c4a700000005');
      env.sim.robotMessage({ text: 'chart 3 7 2', conversationType: '2', conversationId: 'cidChartLovers==' });
      const sent = await env.sim.waitForSent((s) => s.kind === 'group');
      assert.equal(sent.openConversationId, 'cidChartLovers==');
      const body = sent.body as { msgKey: string; msgParam: string };
      assert.equal(body.msgKey, 'sampleImageMsg');
      const picture = env.sim.media.get((JSON.parse(body.msgParam) as { photoURL: string }).photoURL)!;
      assert.equal(picture.fileName, 'chart.png');
      // A real PNG: signature, 240 x 120 RGB, and image data that inflates to 120 rows of 1 + 240 * 3 bytes.
      assert.equal(picture.data.readUInt32BE(0), 0x89504e47);
      assert.equal(picture.data.readUInt32BE(16), 240);
      assert.equal(picture.data.readUInt32BE(20), 120);
      const idatLength = picture.data.readUInt32BE(33);
      assert.equal(picture.data.toString('ascii', 37, 41), 'IDAT');
      assert.equal(inflateSync(picture.data.subarray(41, 41 + idatLength)).length, 120 * (1 + 240 * 3));
      assert.equal(typeof (await answer.nth(1))['dingtalkResponse'].mediaId, 'string');
    });
  });

  describe('api.json', function () {
    it('each inject reaches its API with the token where DingTalk expects it, and the answer reaches its debug node', async () => {
      await deploy('api.json', { stream: false });
      const P = 'c0a9a9f0000000';
      const events = inbox(`${P}04`);
      const todo = inbox(`${P}07`);
      const user = inbox(`${P}10`);
      helper.getNode(`${P}02`)!.receive({});
      assert.equal((await events.nth(1))['payload'].events[0].summary, 'Weekly sync');
      helper.getNode(`${P}05`)!.receive({});
      assert.equal((await todo.nth(1))['payload'].subject, 'Review the expense claim');
      helper.getNode(`${P}08`)!.receive({});
      assert.equal((await user.nth(1))['payload'].result.name, '王经理');
      const calendar = env.sim.requests.find((r) => r.path === '/v1.0/calendar/users/unionUser001/calendars/primary/events')!;
      assert.ok(calendar.headers['x-acs-dingtalk-access-token'] && calendar.query['maxResults'] === '10');
      const created = env.sim.requests.find((r) => r.path === '/v1.0/todo/users/unionUser001/tasks')!;
      assert.deepEqual(created.body, { subject: 'Review the expense claim', executorIds: ['unionManager001'] });
      const legacy = env.sim.requests.find((r) => r.path === '/topapi/v2/user/get')!;
      assert.ok(legacy.query['access_token'] && !legacy.headers['x-acs-dingtalk-access-token']);
    });
  });

  describe('send.json', function () {
    it('"text to users" sends the text to msg.userIds; nobody missed, so the switch passes nothing on', async () => {
      const flow = await deploy('send.json', { stream: false });
      const missed = inbox('c0a2e0f000000007');
      const toSwitch = inbox('c0a2e0f000000006');
      helper.getNode('c0a2e0f000000002')!.receive({});
      const sent = await env.sim.waitForSent((s) => s.kind === 'oto');
      assert.deepEqual(sent.userIds, ['user1', 'user2']);
      assert.equal((sent.body as Record<string, unknown>)['msgKey'], 'sampleText');
      assert.equal(sentText(sent), 'The nightly build has finished.');
      assert.deepEqual((await toSwitch.nth(1))['dingtalkResponse'].invalidStaffIdList, []);
      // A second press with an unknown user: only that one reaches "not delivered to", so the first did not.
      helper.getNode('c0a2e0f000000002')!.receive({
        __user_inject_props__: editedInjectProps(flow, 'c0a2e0f000000002', { userIds: { v: '["user1","invalid-user9"]', vt: 'json' } }),
      });
      const reported = await missed.nth(1);
      assert.deepEqual(reported['dingtalkResponse'].invalidStaffIdList, ['invalid-user9']);
      assert.equal(missed.messages.length, 1);
    });

    it('"markdown to a group" sends markdown with its title to msg.openConversationId', async () => {
      await deploy('send.json', { stream: false });
      const answer = inbox('c0a2e0f000000008');
      helper.getNode('c0a2e0f000000003')!.receive({});
      const sent = await env.sim.waitForSent((s) => s.kind === 'group');
      assert.equal(sent.openConversationId, 'cidREPLACE_WITH_GROUP_ID');
      const body = sent.body as Record<string, unknown>;
      assert.equal(body['msgKey'], 'sampleMarkdown');
      assert.deepEqual(JSON.parse(String(body['msgParam'])), { title: 'Daily report', text: '### Daily report\n- builds: 12\n- failures: **0**' });
      assert.ok((await answer.nth(1))['dingtalkResponse'].processQueryKey);
    });

    // "Someone was missed" covers both lists DingTalk returns: invalid and throttled (flow-controlled) users.
    it('passes on a send where a user was throttled, not only where one was invalid', async () => {
      const flow = await deploy('send.json', { stream: false });
      const missed = inbox('c0a2e0f000000007');
      helper.getNode('c0a2e0f000000002')!.receive({
        __user_inject_props__: editedInjectProps(flow, 'c0a2e0f000000002', { userIds: { v: '["user1","flowControlled7"]', vt: 'json' } }),
      });
      const reported = await missed.nth(1);
      assert.deepEqual(reported['dingtalkResponse'].flowControlledStaffIdList, ['flowControlled7']);
    });
  });

  describe('card.json', function () {
    it('answers a question with an AI card in that chat, streamed word by word, and finishes it', async () => {
      await deploy('card.json', { stream: true });
      const finished = inbox('c0a3e0f000000007');
      env.sim.robotMessage({ text: 'What is Node-RED?', senderStaffId: 'asker1' });
      const created = await env.sim.waitForSent((s) => s.kind === 'card' && s.action === 'createAndDeliver');
      const outTrackId = created.outTrackId!;
      const card = env.sim.card(outTrackId)!;
      assert.equal(card.cardTemplateId, 'REPLACE_WITH_AI_CARD_TEMPLATE.schema');
      assert.equal(card.callbackType, 'STREAM');
      assert.ok(
        card.deliveries.some((d) => d.spaceType === 'IM_ROBOT' && d.spaceId === 'asker1'),
        `delivered to the asker: ${JSON.stringify(card.deliveries)}`,
      );
      const done = await finished.nth(1, 10_000);
      assert.equal(done['dingtalkResponse'].outTrackId, outTrackId);
      const stream = env.sim.card(outTrackId)!.streams['content']!;
      assert.ok(stream.finalized, 'the stream is finished');
      assert.equal(stream.content.trim(), 'You asked: What is Node-RED?. Here is a streamed answer, one word at a time.');
      assert.ok(stream.updates >= 2, `the text arrives in steps, not at once (${stream.updates} update(s))`);
    });

    it('"update card data" merges msg.payload into the card named by msg.outTrackId', async () => {
      const flow = await deploy('card.json', { stream: true });
      const finished = inbox('c0a3e0f000000007');
      env.sim.robotMessage({ text: 'hi' });
      const created = await env.sim.waitForSent((s) => s.kind === 'card' && s.action === 'createAndDeliver');
      await finished.nth(1, 10_000);
      // The user puts the card's outTrackId into the inject in place of REPLACE_WITH_OUT_TRACK_ID and presses it.
      helper.getNode('c0a3e0f000000008')!.receive({
        __user_inject_props__: editedInjectProps(flow, 'c0a3e0f000000008', { outTrackId: { v: created.outTrackId!, vt: 'str' } }),
      });
      await env.sim.waitForSent((s) => s.kind === 'card' && s.action === 'update' && s.outTrackId === created.outTrackId);
      const card = env.sim.card(created.outTrackId!)!;
      assert.equal(card.cardParamMap['flowStatus'], '3');
      assert.equal(
        card.cardParamMap['content']?.trim(),
        'You asked: hi. Here is a streamed answer, one word at a time.',
        'the streamed answer is kept',
      );
    });
  });

  describe('file.json', function () {
    const saved: string[] = [];
    afterEach(async () => {
      for (const path of saved.splice(0)) await rm(path, { force: true });
    });

    it('downloads a file a user sends, saves it in /tmp/dingtalk-files and tells the user what was saved', async () => {
      await deploy('file.json', { stream: true });
      const beforeReply = inbox('c0a4e0f000000004');
      const fixture = textFile(`examples-test-${randomBytes(4).toString('hex')}.txt`);
      env.sim.robotMessage({ msgtype: 'file', file: fixture });
      const downloaded = await beforeReply.nth(1);
      saved.push(String(downloaded['filepath']));
      assert.equal(downloaded['filepath'], join(FILE_EXAMPLE_DIR, fixture.fileName));
      assert.deepEqual(await readFile(downloaded['filepath']), fixture.data);
      const reply = await env.sim.waitForSent((s) => s.kind === 'webhook');
      assert.match(sentText(reply), new RegExp(`^Saved ${fixture.fileName} \\(${fixture.data.length} bytes, `));
    });

    // Mustache's double braces would tell the user "text&#x2F;plain": the example uses triple braces.
    it('tells the user the file type as it is (the template must not HTML-escape {{mimetype}})', async () => {
      await deploy('file.json', { stream: true });
      const beforeReply = inbox('c0a4e0f000000004');
      const fixture = textFile(`examples-test-${randomBytes(4).toString('hex')}.txt`);
      env.sim.robotMessage({ msgtype: 'file', file: fixture });
      saved.push(String((await beforeReply.nth(1))['filepath']));
      const reply = await env.sim.waitForSent((s) => s.kind === 'webhook');
      assert.equal(sentText(reply), `Saved ${fixture.fileName} (${fixture.data.length} bytes, text/plain; charset=utf-8)`);
    });

    it('saves a picture (which has no file name) under a name of its own', async () => {
      await deploy('file.json', { stream: true });
      const beforeReply = inbox('c0a4e0f000000004');
      const picture = pictureFile();
      env.sim.robotMessage({ msgtype: 'picture', file: picture });
      const downloaded = await beforeReply.nth(1);
      saved.push(String(downloaded['filepath']));
      assert.equal(dirname(String(downloaded['filepath'])), FILE_EXAMPLE_DIR);
      assert.match(String(downloaded['filename']), /\.png$/);
      assert.deepEqual(await readFile(String(downloaded['filepath'])), picture.data);
      await env.sim.waitForSent((s) => s.kind === 'webhook');
    });

    it('keeps a file whose name tries to leave the directory inside /tmp/dingtalk-files', async () => {
      await deploy('file.json', { stream: true });
      const beforeReply = inbox('c0a4e0f000000004');
      const name = `examples-test-${randomBytes(4).toString('hex')}.txt`;
      env.sim.robotMessage({ msgtype: 'file', file: textFile(`../../../tmp/${name}`) });
      const downloaded = await beforeReply.nth(1);
      saved.push(String(downloaded['filepath']));
      assert.equal(downloaded['filepath'], join(FILE_EXAMPLE_DIR, name));
    });

    it('refuses a file over 20 MB while downloading and reports it to the Catch node; nothing is saved or replied', async () => {
      await deploy('file.json', { stream: true });
      const why = inbox('c0a4e0f000000007');
      const name = `examples-test-${randomBytes(4).toString('hex')}.bin`;
      env.sim.robotMessage({
        msgtype: 'file',
        file: { data: Buffer.alloc(20 * 1024 * 1024 + 1), contentType: 'application/octet-stream', fileName: name },
      });
      const caught = await why.nth(1, 10_000);
      assert.match(String(caught['error']?.message), /20|MB|large|size/i);
      await assert.rejects(readFile(join(FILE_EXAMPLE_DIR, name)), { code: 'ENOENT' });
      assert.deepEqual(env.sim.sent, []);
    });

    it('takes files from 1:1 chats only', async () => {
      await deploy('file.json', { stream: true });
      const group = env.sim.robotMessage({
        msgtype: 'file',
        conversationType: '2',
        file: textFile(`examples-test-${randomBytes(4).toString('hex')}.txt`),
      });
      await group.acked;
      // A 1:1 file after it is saved and answered; the group one never reached the download.
      const beforeReply = inbox('c0a4e0f000000004');
      env.sim.robotMessage({ msgtype: 'file', file: textFile(`examples-test-${randomBytes(4).toString('hex')}.txt`) });
      saved.push(String((await beforeReply.nth(1))['filepath']));
      await env.sim.waitForSent((s) => s.kind === 'webhook');
      assert.equal(env.sim.requests.filter((r) => r.path === '/v1.0/robot/messageFiles/download').length, 1);
    });
  });

  describe('approval-automation.json', function () {
    const claim = (amount: string, originator: string) => env.sim.startApproval({ originator, form: { 金额: amount, 事由: '客户拜访' } });
    const toUser = (userId: string) => (s: SentRecord) => s.kind === 'oto' && s.userIds?.[0] === userId;

    /** Submits a claim of 500 or more and waits for the approver's card. */
    async function bigClaim(amount: string, applicant: string) {
      const instance = claim(amount, applicant);
      const outTrackId = `approval-${instance.processInstanceId}`;
      await env.sim.waitForSent((s) => s.kind === 'card' && s.action === 'createAndDeliver' && s.outTrackId === outTrackId);
      return { instance, outTrackId };
    }

    it('a claim under 500 is approved by the flow as the approver, and the applicant is told once', async () => {
      await deploy('approval-automation.json', { stream: true });
      const small = claim('300', 'applicant1');
      const told = await env.sim.waitForSent(toUser('applicant1'));
      assert.equal(sentText(told), '您的报销（300 元）已自动通过。');
      assert.deepEqual([small.status, small.result], ['COMPLETED', 'agree']);
      const executed = small.records.find((r) => r.type === 'EXECUTE_TASK_NORMAL');
      assert.equal(executed?.userId, SIM_DEFAULT_APPROVER, 'the approver is the actioner');
      assert.equal(executed?.remark, 'auto-approved under 500');
      assert.equal(env.sim.sent.filter((s) => s.kind === 'card').length, 0, 'no card for a small claim');

      // A later claim's card comes after the first claim's finish event went through the flow.
      await bigClaim('2000', 'applicant2');
      assert.equal(env.sim.sent.filter(toUser('applicant1')).length, 1, 'the finish event did not tell the applicant again');
    });

    it('a claim of 2000: the approver gets a card, 同意 approves the task in DingTalk, the card and the applicant are told', async () => {
      await deploy('approval-automation.json', { stream: true });
      const { instance, outTrackId } = await bigClaim('2000', 'applicant3');
      const card = env.sim.card(outTrackId)!;
      assert.deepEqual(card.cardParamMap, { title: instance.title, applicant: 'applicant3', amount: '2000', reason: '客户拜访', status: '待审批' });
      assert.equal(card.callbackType, 'STREAM');
      assert.ok(
        card.deliveries.some((d) => d.spaceType === 'IM_ROBOT' && d.spaceId === SIM_DEFAULT_APPROVER),
        'delivered to the approver',
      );
      assert.equal(instance.status, 'RUNNING', 'not approved before the click');

      const ack = await env.sim.cardCallback({ outTrackId, userId: SIM_DEFAULT_APPROVER, params: { action: 'agree' } }).acked;
      assert.equal(ack.timedOut, undefined, "answered within DingTalk's 2 s");
      const told = await env.sim.waitForSent(toUser('applicant3'));
      assert.equal(sentText(told), `「${instance.title}」已通过。`);
      assert.deepEqual([instance.status, instance.result], ['COMPLETED', 'agree']);
      const executed = instance.records.find((r) => r.type === 'EXECUTE_TASK_NORMAL');
      assert.deepEqual([executed?.userId, executed?.remark], [SIM_DEFAULT_APPROVER, '在卡片上同意']);
      await env.sim.waitFor(() => env.sim.card(outTrackId)!.cardParamMap['status'] === '已同意', 5000, 'the card updated');
      assert.equal(env.sim.card(outTrackId)!.cardParamMap['decidedBy'], SIM_DEFAULT_APPROVER);
    });

    it('拒绝 on the card refuses the task: the approval ends refused, the card says so, the applicant is told', async () => {
      await deploy('approval-automation.json', { stream: true });
      const { instance, outTrackId } = await bigClaim('800', 'applicant4');
      await env.sim.cardCallback({ outTrackId, userId: SIM_DEFAULT_APPROVER, params: { action: 'refuse' } }).acked;
      const told = await env.sim.waitForSent(toUser('applicant4'));
      assert.equal(sentText(told), `「${instance.title}」未通过。`);
      assert.deepEqual([instance.status, instance.result], ['COMPLETED', 'refuse']);
      await env.sim.waitFor(() => env.sim.card(outTrackId)!.cardParamMap['status'] === '已拒绝', 5000, 'the card updated');
    });

    it('a click by someone without the pending task changes nothing in DingTalk and puts the reason on the card', async () => {
      await deploy('approval-automation.json', { stream: true });
      const { instance, outTrackId } = await bigClaim('1200', 'applicant5');
      await env.sim.cardCallback({ outTrackId, userId: 'user999', params: { action: 'agree' } }).acked;
      const status = await env.sim.waitFor(
        () => {
          const s = String(env.sim.card(outTrackId)!.cardParamMap['status']);
          return s.startsWith('未能处理') ? s : undefined;
        },
        5000,
        'the reason on the card',
      );
      assert.match(status, /user999/);
      assert.equal(instance.status, 'RUNNING');
    });
  });
});
