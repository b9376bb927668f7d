/**
 * Holding a command in the foreground until Ctrl-C (SIGINT) or SIGTERM.
 *
 * A signal listener alone does not keep Node's event loop alive (signal watchers are unref'd),
 * so `await new Promise((r) => process.once('SIGINT', r))` with nothing else pending ends the
 * process at once, with exit code 13 under a top-level await. The hold keeps one ref'd timer
 * until the signal comes or it is released.
 */

/** The part of `process` the hold uses, so tests can send signals without sending them. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  removeListener(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface ForegroundHold {
  /** Resolves with the first signal received. */
  readonly signal: Promise<NodeJS.Signals>;
  /** The first signal received, once one was. */
  readonly received: NodeJS.Signals | undefined;
  /** Stops holding the process and listening for the signals. Idempotent. */
  release(): void;
}

/** Longest delay a Node timer accepts without firing at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Listens for `signals` and keeps the process alive until the first arrives (then lets the
 * event loop drain again) or `release()` is called. Later signals go to `onRepeat` instead of
 * Node's default (which would end the process while it is still stopping its children).
 */
export function holdUntilSignal(
  options: {
    signals?: readonly NodeJS.Signals[];
    source?: SignalSource;
    /** `sinceFirstMs`: a wrapper such as tsx relays the terminal's one Ctrl-C as a second one. */
    onRepeat?: (signal: NodeJS.Signals, sinceFirstMs: number) => void;
  } = {},
): ForegroundHold {
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const source = options.source ?? process;
  let received: NodeJS.Signals | undefined;
  let receivedAt = 0;
  let keepAlive: NodeJS.Timeout | undefined = setInterval(() => {}, MAX_TIMER_MS);
  let resolve: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((r) => {
    resolve = r;
  });
  const stopKeepingAlive = (): void => {
    if (keepAlive !== undefined) clearInterval(keepAlive);
    keepAlive = undefined;
  };
  const listener = (sig: NodeJS.Signals): void => {
    if (received !== undefined) {
      options.onRepeat?.(sig, Date.now() - receivedAt);
      return;
    }
    received = sig;
    receivedAt = Date.now();
    stopKeepingAlive();
    resolve(sig);
  };
  for (const sig of signals) source.on(sig, listener);
  return {
    signal,
    get received() {
      return received;
    },
    release() {
      stopKeepingAlive();
      for (const sig of signals) source.removeListener(sig, listener);
    },
  };
}

/** Thrown by `untilSignal` when the signal came before the step finished. */
export class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
  }
}

/**
 * The step's result, or an `Interrupted` rejection as soon as the hold gets a signal. The step
 * itself is not cancelled; its later failure is swallowed, as nothing waits for it any more.
 */
export function untilSignal<T>(hold: ForegroundHold | undefined, step: Promise<T>): Promise<T> {
  if (hold === undefined) return step;
  step.catch(() => {});
  if (hold.received !== undefined) return Promise.reject(new Interrupted(hold.received));
  return Promise.race([step, hold.signal.then((sig) => Promise.reject(new Interrupted(sig)))]);
}
