// Ctrl-C and SIGTERM for the commands that write (bless, check --pending): the first signal asks
// the command to stop at its next checkpoint (between replays), where it removes its temp files
// and releases the bless lock through its normal error path; a second signal ends the process at
// once (the default action), for a user who cannot wait for the replay in progress.

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export async function withInterrupts<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const handlers = SIGNALS.map((sig) => {
    const h = () => {
      process.stderr.write(`gicreplay: ${sig}: stopping after the current replay (again to stop now)\n`);
      for (const [s, f] of handlers) process.removeListener(s, f);
      ac.abort(sig);
    };
    process.once(sig, h);
    return [sig, h] as const;
  });
  try {
    return await run(ac.signal);
  } finally {
    for (const [s, f] of handlers) process.removeListener(s, f);
  }
}

