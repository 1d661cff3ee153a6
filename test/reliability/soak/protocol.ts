/**
 * The messages between the soak runner (parent: simulator, traffic, faults, accounting) and the system under test
 * (child: an embedded Node-RED runtime with this package's nodes). Kept apart so the child's heap holds nothing of
 * the harness and its memory figures mean something.
 */

/** What the flow saw, as reported by the probe function nodes. */
export type ProbeKind = 'robot' | 'event' | 'card' | 'replied' | 'sent' | 'card-answered' | 'caught' | 'status';

export type SutToRunner =
  | { t: 'ready' }
  | { t: 'probe'; kind: ProbeKind; key: string; at: number; json: string }
  | { t: 'log'; level: string; text: string }
  | { t: 'heap'; heapUsed: number; rss: number; label: string }
  | { t: 'stopped' }
  | { t: 'fatal'; text: string };

export type RunnerToSut = { cmd: 'heap'; label: string } | { cmd: 'stop' };

/** The child's start-up parameters, passed as one JSON env variable. */
export interface SutConfig {
  apiBase: string;
  clientId: string;
  clientSecret: string;
  userDir: string;
  /** Path of this package's root, linked into userDir/node_modules so Node-RED installs it like a user would. */
  packageRoot: string;
  timing: Record<string, number>;
}

export const SUT_CONFIG_ENV = 'DINGTALK_SOAK_SUT';
