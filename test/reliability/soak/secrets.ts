/**
 * Greps everything the Node-RED side produced during a run (log lines, statuses, errors, msgs the probes saw) for
 * the secrets of the run: the clientSecret, every access token the simulator saw in use, every connection ticket.
 */
import type { DingTalkSimulator } from '../../../src/simulator';

export interface SecretHit {
  secret: 'clientSecret' | 'accessToken' | 'ticket';
  /** Where it was found (artifact kind) and a redacted excerpt around it. */
  where: string;
  excerpt: string;
}

export interface Artifact {
  kind: string;
  text: string;
}

export function secretsOfRun(sim: DingTalkSimulator, clientSecret: string): Array<{ secret: SecretHit['secret']; value: string }> {
  const out = new Map<string, SecretHit['secret']>();
  out.set(clientSecret, 'clientSecret');
  for (const req of sim.requests) {
    const token = req.headers['x-acs-dingtalk-access-token'];
    if (token) out.set(token, 'accessToken');
    const ticket = req.path === '/connect' ? req.query['ticket'] : undefined;
    if (ticket) out.set(ticket, 'ticket');
  }
  return [...out].filter(([value]) => value.length >= 8).map(([value, secret]) => ({ secret, value }));
}

export function scanForSecrets(artifacts: readonly Artifact[], secrets: ReadonlyArray<{ secret: SecretHit['secret']; value: string }>): SecretHit[] {
  const hits: SecretHit[] = [];
  for (const artifact of artifacts) {
    for (const { secret, value } of secrets) {
      const i = artifact.text.indexOf(value);
      if (i < 0) continue;
      const excerpt = (
        artifact.text.slice(Math.max(0, i - 60), i) +
        '<' +
        secret +
        '>' +
        artifact.text.slice(i + value.length, i + value.length + 60)
      ).replace(/\s+/g, ' ');
      hits.push({ secret, where: artifact.kind, excerpt });
    }
  }
  return hits;
}
