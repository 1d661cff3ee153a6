/**
 * Waits for `work` at most `ms`, and never fails: what a close handler needs, since Node-RED gives a node 15 s to
 * close and a close that waits on DingTalk must end in time whatever DingTalk does.
 */
export function withBudget(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const finish = (): void => {
      clearTimeout(timer);
      resolve();
    };
    work.then(finish, finish);
  });
}
