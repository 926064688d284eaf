// Pass 1 of the import: every line of the file becomes a decoded record (or is skipped and
// counted), and the thread → vCPU map is learnt. Pass 2 (events.ts) works on the merged records.

import { InputError } from '../../errors';
import { EventLine, LINE_SHAPE, parseFtraceLine } from './line';
import { decodeTracepoint, isTracepoint, TracepointFields, TracepointName, TRACEPOINTS } from './tracepoints';
import { VcpuMap } from './vcpu-map';

export type DecodedRecord = {
  [N in TracepointName]: { event: N; fields: TracepointFields[N] };
}[TracepointName];

export interface FtraceRecord {
  /** 1-based line in the input file. */
  line: number;
  pid: number;
  comm: string;
  hostCpu: number;
  /** Nanoseconds (or raw ticks for counter clocks). */
  ts: bigint;
  tsText: string;
  /** Ring-buffer overruns reported just before this line, per host CPU (tracefs prints them inline). */
  lostBefore: { hostCpu: number; count: bigint | null }[];
  decoded: DecodedRecord;
}

export interface ScanResult {
  records: FtraceRecord[];
  vcpus: VcpuMap;
  lines: number;
  eventLines: number;
  /** Events of other names (kvm_entry, sched_switch, ...), by name. */
  otherEvents: Map<string, number>;
  /** Lines dropped by --tgid. */
  otherTgid: number;
  lost: { hostCpu: number; count: bigint | null; line: number }[];
  /** Timestamps are sec.frac (nanosecond clocks) rather than bare counts. */
  fractional: boolean;
  flagWidths: Set<number>;
  tgidColumn: boolean;
  /** Earliest timestamp of any event line kept (the cycle origin), or null without event lines. */
  minTs: bigint | null;
}

export interface ScanOptions {
  file: string;
  vcpuComm: RegExp;
  tgid?: number;
}

export function scanFtrace(lines: Iterable<string>, opts: ScanOptions): ScanResult {
  const { file } = opts;
  const vcpus = new VcpuMap(opts.vcpuComm, file);
  const out: ScanResult = {
    records: [],
    vcpus,
    lines: 0,
    eventLines: 0,
    otherEvents: new Map(),
    otherTgid: 0,
    lost: [],
    fractional: true,
    flagWidths: new Set(),
    tgidColumn: false,
    minTs: null,
  };
  let firstTs: EventLine | null = null;
  let firstTsLine = 0;
  let pendingLost: { hostCpu: number; count: bigint | null }[] = [];
  let lineNo = 0;
  for (const text of lines) {
    lineNo++;
    const p = parseFtraceLine(text);
    if (!p) throw new InputError(`not an ftrace line: ${JSON.stringify(clip(text))}`, { file, line: lineNo }, LINE_SHAPE);
    if (p.kind === 'skip') continue;
    if (p.kind === 'lost') {
      out.lost.push({ hostCpu: p.hostCpu, count: p.count, line: lineNo });
      pendingLost.push({ hostCpu: p.hostCpu, count: p.count });
      continue;
    }
    out.eventLines++;
    if (p.tgid !== null) out.tgidColumn = true;
    if (opts.tgid !== undefined) {
      if (p.tgid === null) throw new InputError('--tgid needs the thread-group column on every line', { file, line: lineNo }, '`<comm>-<pid> (<tgid>) [<cpu>] ...` (options/record-tgid)');
      if (p.tgid !== opts.tgid) {
        out.otherTgid++;
        continue;
      }
    }
    if (firstTs === null) {
      firstTs = p;
      firstTsLine = lineNo;
      out.fractional = p.ts.fractional;
    } else if (p.ts.fractional !== out.fractional) {
      throw new InputError(`timestamp ${p.tsText} is not in the clock format of line ${firstTsLine} (${firstTs.tsText})`, { file, line: lineNo }, out.fractional ? '<sec>.<usec> like every earlier line' : 'a bare counter value like every earlier line');
    }
    if (out.minTs === null || p.ts.value < out.minTs) out.minTs = p.ts.value;
    if (p.flags !== null) out.flagWidths.add(p.flags.length);
    vcpus.learn(p.comm, p.pid, lineNo);
    if (!isTracepoint(p.event)) {
      out.otherEvents.set(p.event, (out.otherEvents.get(p.event) ?? 0) + 1);
      continue;
    }
    const fields = decodeTracepoint(p.event, p.payload);
    if (!fields) {
      throw new InputError(`${p.event} text ${JSON.stringify(clip(p.payload.trim()))} does not match its format`, { file, line: lineNo }, `${p.event}: ${TRACEPOINTS[p.event].format}`);
    }
    out.records.push({
      line: lineNo,
      pid: p.pid,
      comm: p.comm,
      hostCpu: p.hostCpu,
      ts: p.ts.value,
      tsText: p.tsText,
      lostBefore: pendingLost,
      decoded: { event: p.event, fields } as DecodedRecord,
    });
    pendingLost = [];
  }
  out.lines = lineNo;
  if (pendingLost.length > 0 && out.records.length > 0) out.records[out.records.length - 1].lostBefore.push(...pendingLost);
  return out;
}

/**
 * Merge order: by timestamp, then host CPU, then line. Each host CPU's ring buffer is in time
 * order, so this merges per-CPU streams however they were concatenated; equal timestamps on
 * different CPUs go lower CPU first (the order the kernel's own iterator picks), and equal
 * timestamps on one CPU keep file order. Deterministic for a given set of lines.
 */
export function mergeOrder(records: FtraceRecord[]): FtraceRecord[] {
  return [...records].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.hostCpu - b.hostCpu || a.line - b.line));
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
