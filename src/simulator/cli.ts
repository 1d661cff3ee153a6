#!/usr/bin/env node
import { DingTalkSimulator, SIMULATOR_APP } from './index';

/**
 * `node dist/src/simulator/cli.js [--port N] [--ping-interval ms] [--ack-timeout ms]`
 * Runs the simulator until SIGINT/SIGTERM. This is an entry point, so it is the one place that prints.
 */

const USAGE = 'usage: dingtalk-simulator [--port N] [--ping-interval MS] [--ack-timeout MS] [--drain MS]';

function parseArgs(argv: string[]): { port: number; pingIntervalMs?: number; ackTimeoutMs?: number; drainMs?: number } {
  const out: { port: number; pingIntervalMs?: number; ackTimeoutMs?: number; drainMs?: number } = { port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} needs a non-negative integer.\n${USAGE}`);
    i++;
    if (flag === '--port') out.port = value;
    else if (flag === '--ping-interval') out.pingIntervalMs = value;
    else if (flag === '--ack-timeout') out.ackTimeoutMs = value;
    else if (flag === '--drain') out.drainMs = value;
    else throw new Error(`unknown option ${flag}.\n${USAGE}`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const sim = new DingTalkSimulator(args);
  await sim.start();
  process.stdout.write(
    [
      `DingTalk simulator listening on ${sim.apiBase}`,
      `  apiBase:      ${sim.apiBase}`,
      `  clientId:     ${SIMULATOR_APP.clientId}`,
      `  clientSecret: ${SIMULATOR_APP.clientSecret}   (a public constant of the simulator, not a real secret)`,
      `  state:        GET ${sim.apiBase}/sim/state`,
      `  send a message: curl -X POST -H 'Content-Type: application/json' -d '{"text":"hello"}' ${sim.apiBase}/sim/robot-message`,
      '',
    ].join('\n'),
  );
  sim.on('connection', (c) => process.stdout.write(`stream connection ${c.id} opened (${c.subscriptions.map((s) => s.topic).join(', ')})\n`));
  sim.on('connection-closed', (c) => process.stdout.write(`stream connection ${c.id} closed\n`));
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping simulator\n`);
    void sim.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`dingtalk simulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
