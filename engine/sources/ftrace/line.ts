// One line of ftrace text output, split into its columns. Accepts both layouts gicreplay knows:
//   tracefs `trace` / `trace_pipe`:  <comm>-<pid> [(<tgid>)] [<cpu>] <flags> <sec>.<usec>: <event>: <text>
//   `trace-cmd report`:              <comm>-<pid> [<cpu>] [<flags>] <sec>.<usec>: <event>:<padding><text>
// with pid padded to 5 (older kernels) or 7 (newer) columns, a 4- or 5-character latency-flags
// column or none, and the optional `(tgid)` column of options/record-tgid.

import { parseTimestamp, Timestamp } from './timestamp';

export interface EventLine {
  kind: 'event';
  comm: string;
  pid: number;
  /** Thread-group id from the record-tgid column; null when the column is absent or shows dashes. */
  tgid: number | null;
  /** Host CPU the event was recorded on (never the vCPU). */
  hostCpu: number;
  /** Latency flags column as printed (4 or 5 characters), or null when the layout has none. */
  flags: string | null;
  ts: Timestamp;
  /** The timestamp exactly as printed, for messages and headers. */
  tsText: string;
  event: string;
  /** Everything after `<event>:`, leading blanks included (some TP_printk formats start with spaces). */
  payload: string;
}

/** `CPU:<n> [LOST <k> EVENTS]` (tracefs) or `CPU:<n> [<k> EVENTS DROPPED]` (trace-cmd): the ring buffer overflowed. */
export interface LostLine {
  kind: 'lost';
  hostCpu: number;
  /** Number of lost events; null when the line does not say. */
  count: bigint | null;
}

/** Comment, blank and trace-cmd preamble lines, which carry no event. */
export interface SkipLine {
  kind: 'skip';
}

export type FtraceLine = EventLine | LostLine | SkipLine;

// comm is right-aligned and may contain blanks, dashes and digits ("CPU 0/KVM", "vhost-3080"), so
// the pid is the first "-digits" that the rest of the header columns follow; the lazy (.+?)
// tries the shortest comm first, which also keeps a look-alike inside the event text from
// being taken for the header (and is twice as fast as a greedy scan back from the line's end).
const EVENT_RE = /^\s*(.+?)-(\d+)\s+(?:\(\s*([\d-]+)\)\s+)?\[(\d+)\]\s+(?:(\S{4,5})\s+)?(\d+(?:\.\d+)?):\s+(\w+):(.*)$/;
const LOST_RE = /^CPU:(\d+) \[(?:LOST (\d+) EVENTS|LOST EVENTS|(\d+) EVENTS DROPPED)\]$/;
// trace-cmd report prints these before the events.
const PREAMBLE_RE = /^(?:cpus=\d+|version = \S+|CPU \d+ is empty|trace-cmd: .*)$/;

/** Split a line into columns; null when it is none of the known shapes (the caller reports it). */
export function parseFtraceLine(text: string): FtraceLine | null {
  const t = text.replace(/\r$/, '');
  const trimmed = t.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'skip' };
  if (PREAMBLE_RE.test(trimmed)) return { kind: 'skip' };
  const lost = LOST_RE.exec(trimmed);
  if (lost) {
    const n = lost[2] ?? lost[3];
    return { kind: 'lost', hostCpu: Number(lost[1]), count: n === undefined ? null : BigInt(n) };
  }
  const m = EVENT_RE.exec(t);
  if (!m) return null;
  const ts = parseTimestamp(m[6]);
  if (!ts) return null;
  const tgid = m[3] !== undefined && /^\d+$/.test(m[3]) ? Number(m[3]) : null;
  return {
    kind: 'event',
    comm: m[1].trim(),
    pid: Number(m[2]),
    tgid,
    hostCpu: Number(m[4]),
    flags: m[5] ?? null,
    ts,
    tsText: m[6],
    event: m[7],
    payload: m[8],
  };
}

export const LINE_SHAPE = '`<comm>-<pid> [(<tgid>)] [<cpu>] [<flags>] <sec>.<usec>: <event>: <text>`, a `#` comment, or `CPU:<n> [LOST <k> EVENTS]`';
