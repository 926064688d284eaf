// `gicreplay import ftrace`: a KVM/arm64 host's ftrace text → a gicreplay trace.
// scanFtrace (records.ts) decodes every line; mergeOrder sorts them; buildEvents (events.ts)
// makes the events; this module picks the configuration, writes the header and the file.

import * as path from 'path';
import { InputError, UsageError } from '../../errors';
import { GicVersion, kvmMpidr, minorFor, TraceEvent, TraceHeader, TraceTrailer, TRACE_FORMAT_MAJOR, TRACE_MAGIC } from '../../trace/events';
import { writeTrace } from '../../trace/writer';
import { checkOutputTarget } from '../../util/output-file';
import { buildEvents, EventCounts } from './events';
import { GicMemoryMap, loadMapFile, redistBases, redistIndexOf, virtMap } from './memory-map';
import { mergeOrder, scanFtrace, ScanResult } from './records';
import { openText } from './text-source';
import { formatNs } from './timestamp';
import { compileVcpuComm, DEFAULT_VCPU_COMM } from './vcpu-map';

export const TRACE_CLOCKS = ['local', 'global', 'counter', 'uptime', 'perf', 'mono', 'mono_raw', 'boot', 'tai', 'x86-tsc'] as const;

export interface FtraceImportOptions {
  /** Input path (read unless `text` is given; always used in messages). */
  file: string;
  /** The file's text, for callers that already hold it. */
  text?: string;
  gic: GicVersion;
  /** 'virt' (QEMU virt, built in) or a JSON map file, or an already loaded map. */
  map: string | GicMemoryMap;
  /** vCPUs; default: one more than the highest vCPU index the trace names. */
  cpus?: number;
  /** SPIs (KVM nr_spis); default: the map's (256 for virt). */
  spis?: number;
  /** GICv3 on virt: whether the VM has an ITS (default true, as QEMU virt with KVM has). */
  its?: boolean;
  /** Regex whose first group is the vCPU index in a vCPU thread's comm. */
  vcpuComm?: string;
  /** Keep only lines of this thread group (needs options/record-tgid). */
  tgid?: number;
  /** trace_clock the trace was recorded with (the text does not say); default local. */
  clock?: string;
  /** Guest CNTFRQ_EL0 in Hz, for the header's timer block (default 1 GHz). */
  cntfrq?: bigint;
  /** Command line that ran the import, for provenance. */
  command?: string;
  /**
   * Extra provenance facts (--detail KEY=VALUE), e.g. constructed=<generator> for a trace that
   * was written by a program rather than captured on a host. Keys the importer sets are refused.
   */
  details?: Record<string, string>;
  /**
   * What this recording's guest or VMM hides beyond what any host trace hides (a generated device
   * tree, a stub device), appended to the header's blind spots; details.guestBlindSpots counts them.
   */
  blindSpots?: readonly string[];
}

export interface FtraceImportStats {
  lines: number;
  eventLines: number;
  otherEvents: Record<string, number>;
  otherTgid: number;
  lostEvents: { hostCpu: number; count: string; line: number }[];
  counts: Omit<EventCounts, 'otherSysregs'> & { otherSysregs: Record<string, number> };
  events: number;
}

export interface FtraceImportResult {
  header: TraceHeader;
  events: TraceEvent[];
  stats: FtraceImportStats;
}

/** Parse and convert, in memory. Throws InputError on bad input. */
export function convertFtrace(opts: FtraceImportOptions): FtraceImportResult {
  const file = opts.file;
  if (opts.gic !== 2 && opts.gic !== 3) throw new UsageError(`--gic must be 2 or 3, not ${String(opts.gic)}`);
  const clock = opts.clock ?? 'local';
  if (!(TRACE_CLOCKS as readonly string[]).includes(clock)) throw new UsageError(`--clock ${clock}: not a trace clock (${TRACE_CLOCKS.join(', ')})`);
  const vcpuCommSrc = opts.vcpuComm ?? DEFAULT_VCPU_COMM;
  const map = typeof opts.map !== 'string' ? opts.map : opts.map === 'virt' ? virtMap(opts.gic, opts.its ?? true) : loadMapFile(opts.map, opts.gic);
  if (typeof opts.map === 'string' && opts.map !== 'virt' && opts.its !== undefined) throw new UsageError('--its/--no-its applies to --map virt only; a JSON map says "its" itself');
  const spis = opts.spis ?? map.spis;
  if (spis === null) throw new UsageError(`the memory map ${map.name} does not say how many SPIs the VM has: pass --spis`);
  if (!Number.isInteger(spis) || spis < 0 || spis % 32 !== 0 || spis > 960) throw new UsageError(`--spis ${spis}: KVM takes a multiple of 32 from 0 to 960`);

  const vcpuComm = compileVcpuComm(vcpuCommSrc);
  const source = openText(file, opts.text);
  const scan = scanFtrace(source.lines, { file, vcpuComm, tgid: opts.tgid });
  if (scan.records.length === 0) throw new InputError('no KVM event this importer reads (kvm_mmio, kvm_sys_access, vgic_update_irq_pending, kvm_timer_update_irq, kvm_irq_line)', { file }, 'a trace recorded with `-e kvm`');
  const merged = mergeOrder(scan.records);
  const cpus = pickCpus(scan, opts, file, map);
  const maxCpus = opts.gic === 2 ? 8 : 512;
  if (cpus > maxCpus) throw new UsageError(`${cpus} vCPUs: KVM's GICv${opts.gic} takes at most ${maxCpus}`);
  if (opts.gic === 3 && redistBases(map, cpus).length < cpus) throw new InputError(`memory map ${map.name} has redistributors for ${redistBases(map, cpus).length} vCPUs, the trace needs ${cpus}`, { file });
  const origin = scan.minTs ?? merged[0].ts;
  const { events, counts } = buildEvents(merged, { file, gic: opts.gic, map, cpus, spis, vcpus: scan.vcpus, origin });

  const made = makeHeader(opts, { map, cpus, spis, clock, scan, origin, counts, digest: source.digest(), gzip: source.gzip, vcpuComm: vcpuCommSrc });
  const header: TraceHeader = { ...made, formatMinor: minorFor(made, events) };
  const stats: FtraceImportStats = {
    lines: scan.lines,
    eventLines: scan.eventLines,
    otherEvents: sortedRecord(scan.otherEvents),
    otherTgid: scan.otherTgid,
    lostEvents: scan.lost.map((l) => ({ hostCpu: l.hostCpu, count: l.count === null ? 'unknown' : l.count.toString(), line: l.line })),
    counts: { ...counts, otherSysregs: sortedRecord(counts.otherSysregs) },
    events: events.length,
  };
  return { header, events, stats };
}

/** Convert and write `out` atomically. */
export function importFtrace(opts: FtraceImportOptions & { out: string }): FtraceImportResult & { trailer: TraceTrailer } {
  const inputs = [opts.file, ...(typeof opts.map === 'string' && opts.map !== 'virt' ? [opts.map] : [])];
  checkOutputTarget(opts.out, { what: 'trace', inputs, inPlace: true });
  const r = convertFtrace(opts);
  const trailer = writeTrace(opts.out, r.header, r.events, { inputs });
  return { ...r, trailer };
}

/** Default output: the input's path with its text extension replaced by .gtr. */
export function defaultOutput(input: string): string {
  const dir = path.dirname(input);
  const base = path.basename(input).replace(/\.(txt|trace|report|log|dat)$/i, '');
  return path.join(dir, `${base}.gtr`);
}

/**
 * vCPU count: --cpus, else one more than the highest vCPU any thread name, vCPU field or
 * redistributor access shows (a guest only touches redistributors that exist: Linux walks
 * GICR_TYPER up to the one marked Last, and an idle vCPU's thread may never appear).
 */
function pickCpus(scan: ScanResult, opts: FtraceImportOptions, file: string, map: GicMemoryMap): number {
  let max = scan.vcpus.maxVcpu();
  let where = 'a vCPU thread name';
  let maxRedist = -1;
  for (const r of scan.records) {
    const d = r.decoded;
    let v = -1;
    if ((d.event === 'vgic_update_irq_pending' || d.event === 'kvm_timer_update_irq') && d.fields.irq >= 16 && d.fields.irq < 32) v = d.fields.vcpu;
    if (d.event === 'kvm_irq_line' && d.fields.type === 2) v = d.fields.vcpu;
    if (d.event === 'kvm_mmio' && opts.gic === 3) maxRedist = Math.max(maxRedist, redistIndexOf(map, d.fields.gpa));
    if (v > max) {
      max = v;
      where = `line ${r.line}`;
    }
  }
  if (opts.cpus === undefined && maxRedist > max) max = maxRedist;
  if (opts.cpus !== undefined) {
    if (!Number.isInteger(opts.cpus) || opts.cpus < 1) throw new UsageError(`--cpus ${opts.cpus}: give a positive vCPU count`);
    if (max >= opts.cpus) throw new InputError(`the trace names vCPU ${max} (${where}), but --cpus is ${opts.cpus}`, { file }, `--cpus ${max + 1} or more`);
    return opts.cpus;
  }
  if (max < 0) throw new InputError('no vCPU thread or vCPU field in the trace', { file }, `vCPU threads named like --vcpu-comm (${opts.vcpuComm ?? DEFAULT_VCPU_COMM}), or pass --cpus`);
  return max + 1;
}

interface HeaderFacts {
  map: GicMemoryMap;
  cpus: number;
  spis: number;
  clock: string;
  scan: ScanResult;
  origin: bigint;
  counts: EventCounts;
  digest: string;
  gzip: boolean;
  vcpuComm: string;
}

function makeHeader(opts: FtraceImportOptions, f: HeaderFacts): TraceHeader {
  const { map, cpus, scan, counts } = f;
  const v3 = opts.gic === 3;
  const its = v3 && map.its !== null;
  const cntfrq = opts.cntfrq ?? 1_000_000_000n;
  // cycle = trace-clock nanoseconds, so the counter advances cntfrq / 1e9 per cycle.
  const g = gcd(cntfrq, 1_000_000_000n);
  const counterPerCycle = scan.fractional ? { num: cntfrq / g, den: 1_000_000_000n / g } : { num: 1n, den: 1n };
  const originText = scan.fractional ? `${formatNs(f.origin)} s` : `${f.origin} ticks`;
  const cycles = scan.fractional
    ? `host trace clock "${f.clock}" in nanoseconds since the earliest event line (${originText}): cycle = sec × 10^9 + fraction × 10^(9 − digits) − origin, exact integer arithmetic on the printed decimal text; tracefs text prints microseconds. Host time, not guest counter time.`
    : `host trace clock "${f.clock}" raw values (no fractional part printed) minus the earliest event line's value (${originText}); not a time unit`;
  const blindSpots = v3
    ? [
        'GICv3 CPU-interface registers (ICC_*) other than SGI generation are served by the hardware ICV interface or emulated at EL2 and never reach a host tracepoint: no ICC_IAR/EOIR/PMR/CTLR/IGRPEN access is in this trace.',
        'SGI generation (ICC_SGI1R/ASGI1R/SGI0R writes) traps to the host, but kvm_sys_access prints no value: each is a Marker naming the register, and replay does not raise those SGIs.',
      ]
    : ['The GICv2 CPU interface (GICC_*) is the hardware GICV frame mapped into the guest: no GICC access (IAR, EOIR, PMR, CTLR, DIR) is in this trace.'];
  blindSpots.push(
    'Timer register values are only visible at vCPU load/put (kvm_timer_save_state / kvm_timer_restore_state, kept as Markers); guest CNT* accesses are not trapped on VHE hosts, so the timer PPIs are imported as recorded input lines, and falling edges of hardware-backed timers show only at load/put.',
    'Guest counter values and the counter offsets are not traced: cycles are host trace-clock time.',
    counts.userAccesses + counts.userAccessesNotCarried > 0
      ? 'VMM device-attribute accesses (KVM_SET/GET_DEVICE_ATTR) have no KVM tracepoint: the ones in this trace are those the VMM wrote into trace_marker (gicreplay-vmm lines), with their results; any other the VMM made (vGIC setup, CTRL_INIT) is not.'
      : 'VMM device-attribute accesses (KVM_SET/GET_DEVICE_ATTR: save/restore, the GICD_IIDR revision choice) are not traced; the recording host\'s policy shows only in the values guest reads returned.',
    'SGIs raised through GICD_SGIR/SPENDSGIR, ISPENDR/ISACTIVER writes appear only as the register writes; LPIs/MSIs injected through the ITS are not traced, and ITS command queues live in guest RAM.',
    'An access KVM rejects (bad width or offset) looks like any other in the trace: a read shows val 0x0.',
  );
  if (counts.mmioUnknownVcpu > 0) blindSpots.push(`${counts.mmioUnknownVcpu} GIC MMIO accesses came from threads --vcpu-comm does not name: their vCPU is unknown.`);
  const lostTotal = scan.lost.length;
  if (lostTotal > 0) blindSpots.push(`The ring buffer overflowed ${lostTotal} time(s) (CPU:n [LOST k EVENTS]): events are missing there (Markers mark the spots).`);
  if (counts.unansweredReads > 0) blindSpots.push(`${counts.unansweredReads} GIC reads have no value (unsatisfied-read without its read line).`);
  const own = opts.blindSpots ?? [];
  for (const b of own) if (!b.trim()) throw new UsageError('a blind spot must say something (an empty --blind-spot)');
  blindSpots.push(...own);

  const details: Record<string, string> = {
    input: path.basename(opts.file),
    inputSha256: f.digest,
    clock: f.clock,
    clockOrigin: originText,
    layout: describeLayout(scan),
    memoryMap: map.name,
    vcpuComm: f.vcpuComm,
    vcpuThreads: scan.vcpus.entries().map(([v, pid]) => `${v}:${pid}`).join(' ') || 'none',
    lines: String(scan.lines),
    eventLines: String(scan.eventLines),
    ignoredOutsideGic: String(counts.outsideGic),
    ignoredOtherEvents: String([...scan.otherEvents.values()].reduce((a, b) => a + b, 0)),
    ignoredOtherSysregs: String([...counts.otherSysregs.values()].reduce((a, b) => a + b, 0)),
    lineAnnouncementsFolded: String(counts.announcements),
    samelevelPpiUpdatesDropped: String(counts.sameLevel),
    timerStatesUnchanged: String(counts.timerStatesUnchanged),
    rejectedLineUpdates: String(counts.rejectedLines),
    unpairedReads: String(counts.unpairedReads),
    unansweredReads: String(counts.unansweredReads),
    sysregWritesWithoutValue: String(counts.sysregWritesWithoutValue),
    lostEventReports: String(lostTotal),
  };
  if (counts.userAccesses + counts.userAccessesNotCarried > 0) {
    details.vmmDeviceAttrCalls = String(counts.userAccesses);
    details.vmmDeviceAttrCallsNotCarried = String(counts.userAccessesNotCarried);
  }
  if (own.length) details.guestBlindSpots = `${own.length} (the last ${own.length === 1 ? 'blind spot is' : `${own.length} blind spots are`} this recording's own)`;
  if (f.gzip) details.inputCompression = 'gzip';
  if (opts.tgid !== undefined) {
    details.tgid = String(opts.tgid);
    details.ignoredOtherTgid = String(scan.otherTgid);
  }
  if (opts.cntfrq === undefined) details.cntfrq = 'not in the trace; 1 GHz assumed (--cntfrq)';
  for (const k of Object.keys(opts.details ?? {}).sort()) {
    if (k in details) throw new UsageError(`--detail ${k}: the importer records ${k} itself`);
    details[k] = opts.details![k];
  }

  const frames: TraceHeader['gic']['frames'] = { dist: map.dist };
  if (v3) frames.redist = redistBases(map, cpus);
  if (its && map.its !== null) frames.its = map.its;
  if (!v3 && map.cpuif !== null) frames.cpuif = map.cpuif;

  return {
    magic: TRACE_MAGIC,
    formatMajor: TRACE_FORMAT_MAJOR,
    // a host ftrace shows no init point; device-attribute results only where a VMM wrote its calls into trace_marker (convertFtrace stamps the minor)
    formatMinor: 0,
    writer: '',
    gic: { version: opts.gic, cpus: Array.from({ length: cpus }, (_, i) => ({ mpidr: kvmMpidr(i) })), spis: f.spis, its, frames },
    timer: { cntfrq, counterPerCycle, virtualOffset: 0n, physicalOffset: 0n },
    provenance: {
      kind: 'kvm-ftrace',
      tool: `Linux ftrace text (${describeLayout(scan)})`,
      command: opts.command ?? canonicalCommand(opts, map),
      blindSpots,
      cycles,
      details,
    },
  };
}

/** The import as a command line, from the options that shape the output (not from argv, so it is the same however it was run). */
function canonicalCommand(opts: FtraceImportOptions, map: GicMemoryMap): string {
  const parts = ['gicreplay import ftrace', path.basename(opts.file), `--gic ${opts.gic}`, `--map ${typeof opts.map === 'string' && opts.map !== 'virt' ? path.basename(opts.map) : map.name}`];
  if (opts.cpus !== undefined) parts.push(`--cpus ${opts.cpus}`);
  if (opts.spis !== undefined) parts.push(`--spis ${opts.spis}`);
  if (opts.its === false) parts.push('--no-its');
  if (opts.vcpuComm !== undefined && opts.vcpuComm !== DEFAULT_VCPU_COMM) parts.push(`--vcpu-comm '${opts.vcpuComm}'`);
  if (opts.tgid !== undefined) parts.push(`--tgid ${opts.tgid}`);
  if (opts.clock !== undefined && opts.clock !== 'local') parts.push(`--clock ${opts.clock}`);
  if (opts.cntfrq !== undefined) parts.push(`--cntfrq ${opts.cntfrq}`);
  for (const k of Object.keys(opts.details ?? {}).sort()) parts.push(`--detail ${k}=${opts.details![k]}`);
  for (const b of opts.blindSpots ?? []) parts.push(`--blind-spot '${b.replace(/'/g, "'\\''")}'`);
  return parts.join(' ');
}

function describeLayout(scan: ScanResult): string {
  const widths = [...scan.flagWidths].sort();
  const flags = widths.length === 0 ? 'no latency-flags column' : `${widths.join('/')}-character latency flags`;
  return `${flags}${scan.tgidColumn ? ', tgid column' : ''}`;
}

function sortedRecord(m: Map<string, number>): Record<string, number> {
  const o: Record<string, number> = {};
  for (const k of [...m.keys()].sort()) o[k] = m.get(k)!;
  return o;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
