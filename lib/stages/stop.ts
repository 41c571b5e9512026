// Stopping a run when asked (Ctrl-C, a kill): the stage between a source and its consumer
// that ends the iteration with the signal's reason, also while the source is waiting (a
// silent server, a producer that writes nothing), so what follows can report and close.

/**
 * untilStopped: the items of `source` until `signal` is aborted, then throws its reason.
 * The source is left to end on its own (its pending read is abandoned, not awaited).
 */
export async function* untilStopped<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  if (signal === undefined) {
    yield* source;
    return;
  }
  const it = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      signal.throwIfAborted();
      const r = await nextUnlessStopped(it, signal);
      if (r.done) {
        finished = true;
        return;
      }
      yield r.value;
    }
  } finally {
    // Ends the source once its pending read settles (sockets closed, files released).
    if (!finished) void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}

/**
 * The next item, or the signal's reason if it is aborted first. A listener per read, not a
 * race against one long-lived promise: each Promise.race leaves a reaction on a promise that
 * never settles, and those reactions kept every item read alive (a 300 k-record restore
 * grew to 650 MiB).
 */
function nextUnlessStopped<T>(it: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    it.next().then(
      (r) => {
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * connectUnlessStopped: `connect()`, or the signal's reason if it is aborted first (a run
 * stopped while it waits for silent seeds ends at once); a cluster that connects after
 * that is closed.
 */
export async function connectUnlessStopped<T extends { close(): void }>(connect: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return connect();
  signal.throwIfAborted();
  const connecting = connect();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      connecting.then((c) => c.close(), () => undefined);
      reject(signal.reason);
    };
  });
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([connecting, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
