/**
 * `node dist/bench/profile-summary.js <file.cpuprofile> [top]`: self time per function from a `--cpu-prof` profile,
 * to see where our client spends its CPU (run the bench with BENCH_CPU_PROF=<dir>).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function selfTimes(profile: Profile): Array<{ name: string; ms: number; share: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') return;
    const file = url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules\/|dist\/)/, '$1');
    const key = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => ({ name, ms: Math.round(ms), share: Math.round((ms / total) * 1000) / 10 }));
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]');
  const top = Number(process.argv[3] ?? 30);
  const rows = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  for (const row of rows.slice(0, top)) process.stdout.write(`${String(row.share).padStart(5)}%  ${String(row.ms).padStart(6)} ms  ${row.name}\n`);
  const src = rows.filter((r) => r.name.includes('dist/src/'));
  process.stdout.write(`\nin src/: ${src.reduce((s, r) => s + r.share, 0).toFixed(1)}% of non-idle samples\n`);
  for (const row of src.slice(0, 15)) process.stdout.write(`${String(row.share).padStart(5)}%  ${String(row.ms).padStart(6)} ms  ${row.name}\n`);
}
