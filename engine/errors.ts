// Errors that reach the user. Input errors (exit 2) always say which file, where in it, and what was expected.

export interface InputLocation {
  file: string;
  /** Byte offset in the file, when known. */
  byteOffset?: number;
  /** Index of the event (0-based) the problem belongs to, when known. */
  eventIndex?: number;
  /** 1-based line number for text inputs (QEMU logs, ftrace text, JSON lines). */
  line?: number;
}

/** Bad input: corrupt or truncated files, wrong versions, unknown registers, bad arguments. Exit code 2. */
export class InputError extends Error {
  readonly location: InputLocation | undefined;
  readonly expected: string | undefined;
  /** The message without location and expectation, for re-throwing with a location added. */
  readonly detail: string;

  constructor(message: string, location?: InputLocation, expected?: string) {
    super(InputError.compose(message, location, expected));
    this.name = 'InputError';
    this.location = location;
    this.expected = expected;
    this.detail = message;
  }

  private static compose(message: string, loc?: InputLocation, expected?: string): string {
    const where: string[] = [];
    if (loc) {
      where.push(loc.file);
      if (loc.line !== undefined) where.push(`line ${loc.line}`);
      if (loc.byteOffset !== undefined) where.push(`byte offset ${loc.byteOffset}`);
      if (loc.eventIndex !== undefined) where.push(`event ${loc.eventIndex}`);
    }
    const prefix = where.length ? `${where.join(', ')}: ` : '';
    const suffix = expected ? ` (expected ${expected})` : '';
    return `${prefix}${message}${suffix}`;
  }
}

/** Usage errors: bad flags, missing arguments, refusing to bless on CI. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The user stopped the command (SIGINT, SIGTERM): it cleaned up and wrote nothing half. */
export class Interrupted extends Error {
  constructor(
    /** What stopped it ("SIGINT"), as the abort reason said. */
    readonly reason: string,
    what: string,
  ) {
    super(`interrupted (${reason}): ${what}`);
    this.name = 'Interrupted';
  }
}

/**
 * Between two units of synchronous work: let signal handlers run, then stop if one fired.
 * (Replay is synchronous, so a Ctrl-C is seen only here, between pairs.)
 */
export async function checkpoint(signal: AbortSignal | undefined, what: string): Promise<void> {
  if (!signal) return;
  await new Promise((r) => setImmediate(r));
  if (signal.aborted) throw new Interrupted(String(signal.reason ?? 'signal'), what);
}

export const EXIT_CLEAN = 0;
export const EXIT_DIFFERENT = 1;
export const EXIT_INPUT = 2;
