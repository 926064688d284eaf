// What a trace reader offers, whichever reads: the streaming reader (reader.ts) or the one that
// reads ahead on a thread (read-ahead.ts). openTrace (reader.ts) picks one.

import type { ReadAheadThread } from './read-ahead-ring';
import { TraceEvent, TraceHeader, TraceTrailer } from './events';

export interface ReadOptions {
  /** Replay the valid prefix of a trace without a trailer instead of failing. */
  allowTruncated?: boolean;
  /**
   * An extra check run on every event after the format's own (engine/inspect/registers.ts
   * RegisterChecker for `trace validate`). It throws a Violation; the reader names the file,
   * byte offset and event index. Any other exception propagates unchanged.
   */
  check?: (ev: TraceEvent) => void;
  /** Read size; tests use tiny chunks to exercise values that straddle reads. */
  chunkBytes?: number;
  /**
   * Read ahead on a thread of its own (read-ahead.ts) while the caller replays: by default for
   * traces of READ_AHEAD_MIN_BYTES or more, when no `check` or `chunkBytes` is given and the
   * compiled thread script is there. The events, errors and trailer are the same either way.
   */
  readAhead?: boolean;
  /** Read ahead on this thread, which does other work too (the check's); implies readAhead. */
  readAheadThread?: ReadAheadThread;
}

export interface TraceReader {
  readonly file: string;
  readonly header: TraceHeader;
  /** Next event, or null at the end. Throws InputError on bad input. */
  next(): TraceEvent | null;
  /** Index the next event will have. */
  readonly nextIndex: number;
  /** Byte offset in the file of the next value (event or trailer). */
  readonly offset: number;
  /** The file's size in bytes, as opened. */
  readonly fileSize: number;
  /** Set after next() returned null: the trailer, or null when the trace was truncated (allowTruncated). */
  readonly trailer: TraceTrailer | null;
  /** Why the trace ended early, when allowTruncated let it. */
  readonly truncation: string | null;
  close(): void;
}
