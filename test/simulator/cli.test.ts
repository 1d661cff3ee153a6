import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { SIMULATOR_APP } from '../../src/simulator';

describe('simulator: CLI', () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints the apiBase and clientId, serves, and stops cleanly on SIGTERM', async () => {
    // dist/test/simulator -> dist/src/simulator/cli.js
    const cli = join(__dirname, '..', '..', 'src', 'simulator', 'cli.js');
    const proc = spawn(process.execPath, [cli, '--port', '0']);
    child = proc;
    let out = '';
    const apiBase = await new Promise<string>((resolve, reject) => {
      proc.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /apiBase:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      proc.once('exit', (code) => reject(new Error(`cli exited early with ${code}: ${out}`)));
    });
    assert.ok(out.includes(SIMULATOR_APP.clientId));
    const state = (await (await fetch(`${apiBase}/sim/state`)).json()) as { apps: Array<{ clientId: string }> };
    assert.equal(state.apps[0]!.clientId, SIMULATOR_APP.clientId);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
