/**
 * The soak (test/reliability/soak/run.ts) in short: ~30 s of faults against a real Node-RED runtime in a child
 * process. One run, several checks, so a failure names what broke. `npm run soak` is the 10-minute version.
 * SOAK_TEST_SECONDS / SOAK_TEST_SEED change the run; the default seed's schedule includes every family of fault
 * (ignored acks included) within 30 s.
 */
import { strict as assert } from 'node:assert';
import { runSoak, summarise, type SoakReport } from './soak/run';
import { scanForSecrets } from './soak/secrets';

const SECONDS = Number(process.env['SOAK_TEST_SECONDS'] ?? 30);
const SEED = Number(process.env['SOAK_TEST_SEED'] ?? 18);

describe('reliability: soak with faults against a real Node-RED runtime', function () {
  this.timeout((SECONDS + 150) * 1000);
  let report: SoakReport;

  before(async function () {
    this.timeout((SECONDS + 150) * 1000);
    const lines: string[] = [];
    report = await runSoak({ seconds: SECONDS, seed: SEED, log: (line) => void lines.push(line) });
    // On failure the summary is the first thing to read.
    if (!report.passed) console.log(summarise(report));
  });

  it('injected faults of several kinds, and the app reconnected through them', () => {
    assert.ok(Object.keys(report.faults).length >= 3, `faults: ${JSON.stringify(report.faults)}`);
    assert.ok(report.connections.opened >= 2, 'at least one reconnect');
    assert.deepEqual(report.fatal, [], 'nothing uncaught in the Node-RED process');
  });

  it('every robot message and event reached the flow exactly once', () => {
    const v = report.verdict;
    const lostOrDup = [...v.lost, ...v.duplicated].filter((s) => !s.startsWith('card '));
    assert.deepEqual(lostOrDup, []);
    assert.equal(v.deliveredToFlow.robot, v.pushed.robot);
    assert.equal(v.deliveredToFlow.event, v.pushed.event);
  });

  it('every card click reached the flow exactly once (re-pushes after a lost ack included)', () => {
    // Failed while card callbacks were deduplicated on headers.messageId only (docs/RELIABILITY.md, "Findings").
    const v = report.verdict;
    assert.deepEqual(
      [...v.lost, ...v.duplicated].filter((s) => s.startsWith('card ')),
      [],
    );
  });

  it('every push was acked, and every reply arrived at DingTalk or ended in a Catch node', () => {
    const v = report.verdict;
    assert.deepEqual(v.unacked, []);
    assert.deepEqual(v.vanished, []);
    assert.deepEqual(v.replyMismatches, []);
    assert.ok(v.replies.viaWebhook > 0 && v.replies.viaOpenApi > 0 && v.replies.cardAnswers > 0);
  });

  it('no clientSecret, access token or ticket in any log line, status, error or msg the flow saw', () => {
    assert.deepEqual(report.secretHits, []);
    // The scan looked at real material and for real secrets.
    assert.ok((report.secretScan.secrets['accessToken'] ?? 0) >= 1, 'tokens were in use');
    assert.ok((report.secretScan.secrets['ticket'] ?? 0) >= 2, 'tickets were issued');
    for (const kind of ['log warn', 'log debug', 'msg at robot', 'msg at status', 'msg at card']) {
      assert.ok((report.secretScan.artifacts[kind] ?? 0) > 0, `scanned some "${kind}"`);
    }
  });

  it('the heap after GC did not grow beyond the tolerance', () => {
    assert.ok(report.heap.afterWarmup > 0 && report.heap.end > 0);
    assert.ok(report.heap.growthBytes <= report.heap.allowedBytes, `grew ${report.heap.growthBytes} bytes, allowed ${report.heap.allowedBytes}`);
  });
});

describe('reliability: the soak secret scanner', () => {
  it('finds a planted secret and shows it only as its kind', () => {
    const hits = scanForSecrets(
      [{ kind: 'log warn', text: 'call failed with token abcdefgh12345678 in the header' }],
      [{ secret: 'accessToken', value: 'abcdefgh12345678' }],
    );
    assert.equal(hits.length, 1);
    assert.match(hits[0]!.excerpt, /<accessToken>/);
    assert.doesNotMatch(hits[0]!.excerpt, /abcdefgh12345678/);
  });
});
