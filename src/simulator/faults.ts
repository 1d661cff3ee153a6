import type { FailRule, FaultSettings } from './types';

export const DEFAULT_FAULTS: FaultSettings = {
  answerPings: true,
  sendPings: true,
  gateway: 'ok',
  gatewayDelayMs: 15_000,
  refuseUpgrade: false,
  ignoreAcks: false,
};

/** Injected failures: one-shot HTTP failures (`failNext`) and standing switches (`setFaults`). */
export class FaultPlan {
  settings: FaultSettings = { ...DEFAULT_FAULTS };
  private rules: Array<FailRule & { remaining: number }> = [];

  failNext(rule: FailRule): void {
    this.rules.push({ ...rule, remaining: rule.times ?? 1 });
  }

  set(partial: Partial<FaultSettings>): void {
    this.settings = { ...this.settings, ...partial };
  }

  reset(): void {
    this.settings = { ...DEFAULT_FAULTS };
    this.rules = [];
  }

  /** Consumes and returns the first rule matching this request, if any. */
  take(method: string, path: string): FailRule | undefined {
    const index = this.rules.findIndex((rule) => matches(rule, method, path));
    if (index < 0) return undefined;
    const rule = this.rules[index]!;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(index, 1);
    return rule;
  }
}

function matches(rule: FailRule, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method) return false;
  if (rule.path.endsWith('*')) return path.startsWith(rule.path.slice(0, -1));
  return rule.path === path;
}
