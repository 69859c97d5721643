/** A function whose runs never overlap; see serialized. */
export interface Serialized<T> {
  (): Promise<T>;
  /** resolves once no run is under way or waiting */
  idle(): Promise<void>;
}

/**
 * work run one at a time. A call while a run is under way is answered by one more run
 * after it (shared by every call made meanwhile), so each call is covered by a run that
 * started after the call: what the caller did before calling is seen by that run.
 */
export function serialized<T>(work: () => Promise<T>): Serialized<T> {
  let running: Promise<T> | null = null;
  let next: Promise<T> | null = null;
  const run = (): Promise<T> => {
    if (running) {
      const again = () => {
        next = null;
        return run();
      };
      next ??= running.then(again, again);
      return next;
    }
    // a work that throws before its first await rejects like any other
    running = (async () => work())().finally(() => (running = null));
    return running;
  };
  const idle = async () => {
    while (running || next) await (next ?? running)!.catch(() => undefined);
  };
  return Object.assign(run, { idle });
}
