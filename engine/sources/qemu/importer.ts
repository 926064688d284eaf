// QEMU trace log -> gicreplay trace. Two passes over the parsed lines: the first checks every
// line against its QEMU format and learns the vCPU count and the thread-ID -> vCPU map, the second
// turns guest register accesses and input line changes into events, in line order.

import * as path from 'path';
import { InputError } from '../../errors';
import { AccessSize, EventKind, Frame, GicVersion, TraceEvent, TraceHeader, TraceTrailer } from '../../trace/events';
import { TraceWriter } from '../../trace/writer';
import { checkOutputTarget } from '../../util/output-file';
import { CompiledFormat, qemuEventFormat } from './formats';
import { ICC_EVENTS, ICC_SGI0R, ICC_SGI1R, iccEncoding, sgi1rValue } from './icc';
import { LogInput, LogLine, readLog } from './log-text';
import { affinityOf, CYCLES_PER_EVENT, qemuHeader, VIRT_ITS, VIRT_MAX_REDIST_LOW, VIRT_SPIS, vcpuOfAffinity } from './virt';

export interface QemuImportOptions {
  gic: GicVersion;
  /** vCPU count; inferred from the log (largest CPU seen, GICR_TYPER.Last, GICv2 TYPER) when absent. */
  cpus?: number;
  /** SPI count; QEMU virt wires 256. */
  spis?: number;
  /** Count and drop unknown, unsupported or malformed lines instead of failing (a truncated last line still fails). */
  skipUnknown?: boolean;
  /** QEMU version string for the header (e.g. from `qemu-system-aarch64 --version`). */
  tool?: string;
  /** QEMU command line that produced the log, when known. */
  command?: string;
  /** Name of the log recorded in the header; default: the file's base name. */
  logName?: string;
}

export interface QemuImportStats {
  lines: number;
  events: number;
  accesses: number;
  lineChanges: number;
  /** Internal (dropped) events by name, sorted by name. */
  internal: [string, number][];
  /** Lines dropped by --skip-unknown (unknown names, unsupported events, malformed lines). */
  skippedUnknown: number;
  /** MMIO accesses whose vCPU came from a thread ID / that stayed unknown. */
  attributedByTid: number;
  unattributed: number;
  /** Thread ID -> vCPU, sorted by TID; TIDs seen on several vCPUs are left out. */
  tidMap: [number, number][];
  ambiguousTids: number[];
  /** Markers added for SGIs that QEMU did not pend on every target the fields name. */
  sgiMarkers: number;
  /** SGIs imported as ICC_SGI0R_EL1 (a Group-0 request), the rest as ICC_SGI1R_EL1. */
  sgi0r: number;
  /** GICv2 GICD_SGIR writes whose CPU was inferred from the acknowledge that took the SGI. */
  sgirInferred: number;
  /** ITS commands rebuilt as mem-write events of their 32 bytes, and MSIs imported as msi events. */
  itsCommands: number;
  msis: number;
  /** Rebuilt commands with a field QEMU does not print (INVALL's ICID from the MAPC before it, SYNC's RDbase 0, GICv4 operands 0). */
  itsInferred: number;
  /** Guest memory the log cannot show, reconstructed for MAPD (level-1 device-table entries) and INV (LPI property bytes). */
  itsL1Entries: number;
  itsPropBytes: number;
}

export interface QemuImportResult {
  header: TraceHeader;
  events: TraceEvent[];
  stats: QemuImportStats;
}

interface Parsed {
  ll: LogLine;
  fmt: CompiledFormat;
  f: string[];
}

const hexNum = (s: string): number => parseInt(s, 16);
const hexBig = (s: string): bigint => BigInt(`0x${s}`);

/** Import a QEMU log file (plain or gzip'd), events in memory (small logs, tests). */
export function importQemuLog(file: string, opts: QemuImportOptions): QemuImportResult {
  return importInMemory({ file }, opts);
}

/** Import a log given as text (tests, tools). */
export function importQemuText(text: string, file: string, opts: QemuImportOptions): QemuImportResult {
  return importInMemory({ file, text }, opts);
}

function importInMemory(input: LogInput, opts: QemuImportOptions): QemuImportResult {
  const events: TraceEvent[] = [];
  const r = runImport(input, opts, (ev) => events.push(ev));
  return { header: r.header, events, stats: r.stats };
}

/**
 * Import a QEMU log and write the trace atomically to `out`, streaming: the log is read twice
 * (once to learn vCPUs, thread IDs and SGI senders, once to write events) and never held in
 * memory, nor are the events; the header, which counts what the second pass did, is written last
 * into its place at the front (TraceWriter deferHeader).
 */
export function importQemuLogToFile(file: string, out: string, opts: QemuImportOptions): { stats: QemuImportStats; trailer: TraceTrailer } {
  checkOutputTarget(out, { what: 'trace', inputs: [file], inPlace: true });
  let writer: TraceWriter | null = null;
  try {
    const r = runImport({ file }, opts, (ev) => writer!.write(ev), (provisional) => {
      writer = TraceWriter.create(out, provisional, { inputs: [file], deferHeader: true });
    });
    const trailer = writer!.finish(undefined, r.header);
    writer = null;
    return { stats: r.stats, trailer };
  } finally {
    (writer as TraceWriter | null)?.abort();
  }
}

/** Both passes; `sink` gets every event in order, `start` the header (without its counts) first. */
function runImport(input: LogInput, opts: QemuImportOptions, sink: (ev: TraceEvent) => void, start?: (provisional: TraceHeader) => void): { header: TraceHeader; stats: QemuImportStats } {
  const file = input.file;
  if (opts.gic !== 2 && opts.gic !== 3) throw new InputError(`GIC version ${String(opts.gic)}`, { file }, '2 or 3');
  const skip = opts.skipUnknown === true;
  const ctx = new ImportContext(file, opts);
  const learn = readLog(input, skip);
  for (const ll of learn.lines) {
    const p = ctx.parse(ll, true);
    if (p) ctx.learn(p);
  }
  ctx.stats.skippedUnknown += learn.skipped;
  ctx.finishLearning();
  const spis = opts.spis ?? VIRT_SPIS;
  const log = opts.logName ?? path.basename(file);
  const headerWith = (details: Record<string, string>) =>
    qemuHeader(opts.gic, ctx.cpus, spis, opts.tool ?? 'QEMU (version not recorded in the log)', opts.command ?? `unknown: imported from ${log}`, details, ctx.hasItsEvents);
  start?.(headerWith({}));
  const build = readLog(input, skip);
  for (const ll of build.lines) {
    const p = ctx.parse(ll, false);
    if (p) ctx.build(p, sink);
  }
  ctx.endBuild(sink);
  const details: Record<string, string> = {
    log,
    logSha256: learn.digest(),
    logLines: String(learn.totalLines),
    cpusFrom: opts.cpus !== undefined ? 'option --cpus' : 'inferred from the log',
  };
  if (opts.gic === 2) {
    details.sgirSender = `${ctx.stats.sgirInferred} GICD_SGIR writes without a thread ID got their CPU from the source CPUID of the IAR that took the SGI (first acknowledge of that INTID on a possible target, no other SGIR write of the INTID between)`;
  }
  if (opts.gic === 3) {
    details.sgiRegister =
      `inferred from the SGI's group at its targets (tracked GICR_IGROUPR0) and where QEMU pended it (gicv3_redist_send_sgi): ` +
      `${ctx.stats.sgi0r} Group-0 requests imported as ICC_SGI0R_EL1, the rest as ICC_SGI1R_EL1; RS=0; ` +
      `a Marker "qemu: SGI n pended on ..." follows each SGI QEMU did not pend on every named target`;
  }
  const st = ctx.stats;
  if (st.itsCommands) {
    details.itsCommands =
      `${st.itsCommands} ITS commands rebuilt from QEMU's decoded trace (gicv3_its_process_command + gicv3_its_cmd_*) as mem-write events of their 32 bytes at GITS_CBASER + 32 x offset, before the GITS_CWRITER write that handed them over; ` +
      `${st.itsInferred} with a field QEMU does not print (INVALL's ICID taken from the MAPC before it, as Linux's its_cpu_init_collection sends them; SYNC's RDbase 0; GICv4 commands' operands 0)`;
  }
  if (st.itsL1Entries || st.itsPropBytes) {
    details.itsMemory =
      `guest memory the kernel wrote and QEMU's log cannot show, reconstructed as mem-write events before the command that needs it: ` +
      `${st.itsL1Entries} level-1 device-table entries (GITS_BASER0 Indirect=1; a MAPD QEMU accepted, gicv3_its_dte_write, proves the guest's entry valid; its level-2 page is not in the log and is placed at 0x${L2_PAGE.toString(16)} + 64 KiB x the level-1 index, with the 8 bytes of the DTE slot written 0, as Linux's zeroed page holds them; KVM's geometry: 64 KiB pages, 8-byte entries); ` +
      `${st.itsPropBytes} LPI property bytes at GICR_PROPBASER + pINTID - 8192: 0x${LINUX_LPI_PROP_DEFAULT.toString(16)} (Linux's LPI_PROP_DEFAULT_PRIO 0xa0 | LPI_PROP_GROUP1, the table's fill) before each MAPTI/MAPI, 0x${LINUX_LPI_PROP_ENABLED.toString(16)} (| LPI_PROP_ENABLED) before each INV of a mapped event: Linux sends INV after lpi_update_config changes the byte, and at boot that is the unmask; a guest that masks an LPI, or another guest, is not reconstructed right; pending-table bytes are not written (Linux's zeroed table reads as 0)`;
  }
  if (st.msis) details.msis = `${st.msis} GITS_TRANSLATER writes imported as KVM_SIGNAL_MSI (DeviceID = the requester ID QEMU printed)`;
  if (st.internal.length) details.skippedInternal = st.internal.map(([n, c]) => `${n}=${c}`).join(' ');
  if (st.skippedUnknown) details.skippedUnknown = String(st.skippedUnknown);
  details.cpuAttribution = st.tidMap.length
    ? `thread IDs (-msg timestamp=on): ${st.tidMap.map(([t, c]) => `${t}->cpu${c}`).join(' ')}; ${st.attributedByTid} MMIO accesses attributed, ${st.unattributed} unknown`
    : `no thread IDs: ${st.unattributed} MMIO accesses have cpu unknown`;
  if (st.ambiguousTids.length) details.ambiguousTids = st.ambiguousTids.join(' ');
  return { header: headerWith(details), stats: st };
}

/** Where the importer places a level-2 device-table page QEMU's log does not name: virt's RAM base (QEMU's DTB; no other traced memory). */
const L2_PAGE = 0x40000000n;
/** KVM's ITS table geometry (vgic-its.c: 64 KiB pages, 8-byte device-table entries). */
const ITS_PAGE = 0x10000n;
const ITS_ESZ = 8n;
/** Linux's property byte for an enabled LPI (irq-gic-v3-its.c: LPI_PROP_DEFAULT_PRIO | LPI_PROP_GROUP1 | LPI_PROP_ENABLED). */
const LINUX_LPI_PROP_ENABLED = 0xa3;
/** ... and for one not yet unmasked (its_allocate_prop_table fills the table with LPI_PROP_DEFAULT_PRIO | LPI_PROP_GROUP1). */
const LINUX_LPI_PROP_DEFAULT = 0xa2;

class ImportContext {
  readonly stats: QemuImportStats = {
    lines: 0,
    events: 0,
    accesses: 0,
    lineChanges: 0,
    internal: [],
    skippedUnknown: 0,
    attributedByTid: 0,
    unattributed: 0,
    tidMap: [],
    ambiguousTids: [],
    sgiMarkers: 0,
    sgi0r: 0,
    sgirInferred: 0,
    itsCommands: 0,
    msis: 0,
    itsInferred: 0,
    itsL1Entries: 0,
    itsPropBytes: 0,
  };
  cpus = 0;
  private readonly tidCpu = new Map<number, number>();
  private readonly version: GicVersion;

  constructor(private readonly file: string, private readonly opts: QemuImportOptions) {
    this.version = opts.gic;
  }

  private err(ll: LogLine, msg: string, expected?: string): InputError {
    return new InputError(msg, { file: this.file, line: ll.line }, expected);
  }

  private readonly internal = new Map<string, number>();
  /** Pass 1 saw ITS commands or MSIs: the trace needs format 1.2 (mem-write, msi events). */
  hasItsEvents = false;

  /**
   * Check one line against its QEMU format: the parsed fields, or null for a line that is not
   * imported (dropped with --skip-unknown, or an internal event). `count`: the first pass, which
   * counts what it drops; the second sees the same lines and must not count them again.
   */
  parse(ll: LogLine, count: boolean): Parsed | null {
    const skipped = (): null => {
      if (count) this.stats.skippedUnknown++;
      return null;
    };
    const fmt = qemuEventFormat(ll.name);
    if (!fmt) {
      if (this.opts.skipUnknown) return skipped();
      throw this.err(ll, `unknown event "${ll.name}"`, 'a QEMU 7.2 gic_* or gicv3_* trace event (or --skip-unknown)');
    }
    const m = fmt.regex.exec(ll.text);
    if (!m && this.opts.skipUnknown) return skipped();
    if (!m) throw this.err(ll, `malformed ${ll.name} line: ${JSON.stringify(ll.text.slice(0, 160))}`, `"${fmt.format}"`);
    const isV3 = ll.name.startsWith('gicv3_');
    if ((this.version === 3) !== isV3) {
      throw this.err(ll, `${ll.name} is a GICv${isV3 ? 3 : 2} event but the import is for GICv${this.version}`, `--gic ${isV3 ? 3 : 2}, or a log traced with -trace '${this.version === 3 ? 'gicv3_*' : 'gic_*'}'`);
    }
    if (fmt.role === 'unsupported' || (ll.name.startsWith('gic_cpu_') && m[1] !== 'cpu')) {
      if (this.opts.skipUnknown) return skipped();
      throw this.err(ll, `${ll.name} cannot be imported: ${fmt.why ?? V2_VIRT_WHY}`, 'guest GIC accesses of a KVM-style guest (or --skip-unknown)');
    }
    if (count) this.stats.lines++;
    if (fmt.role === 'its' && count) this.hasItsEvents = true;
    if (fmt.role === 'internal') {
      if (count) this.internal.set(ll.name, (this.internal.get(ll.name) ?? 0) + 1);
      // Kept only to learn which targets accepted an SGI (see sgiMarker); never an event.
      return ll.name === 'gicv3_redist_send_sgi' ? { ll, fmt, f: m.slice(1) } : null;
    }
    return { ll, fmt, f: m.slice(1) };
  }

  // ---- pass 1: learn the vCPU count, the thread-ID map and GICv2 SGI senders ----

  private maxSeen = -1;
  private maxSeenAt: Parsed | null = null;
  private fromTyper = 0;
  private readonly tidSeen = new Map<number, number>();
  private readonly tidAmbiguous = new Set<number>();
  /** GICv2: the GICD_SGIR write of each SGI INTID still waiting for the acknowledge that names its sender. */
  private readonly sgirPending = new Map<number, Parsed>();

  learn(p: Parsed): void {
    this.learnCpu(p);
    this.learnTid(p);
    this.learnSgirSender(p);
  }

  /** The vCPU count: largest vCPU a line names, GICR_TYPER.Last, GICv2 GICD_TYPER.CPUNumber. */
  private learnCpu(p: Parsed): void {
    const c = this.namedCpu(p);
    if (c !== null && c > this.maxSeen) {
      this.maxSeen = c;
      this.maxSeenAt = p;
    }
    // GICR_TYPER.Last (bit 4) marks the last redistributor; GICv2 GICD_TYPER.CPUNumber is count-1.
    if (p.ll.name === 'gicv3_redist_read' && hexNum(p.f[1]) === 0x8 && (hexBig(p.f[2]) & 0x10n) !== 0n) {
      this.fromTyper = Math.max(this.fromTyper, this.vcpuOfAff(p, p.f[0]) + 1);
    }
    if (p.ll.name === 'gic_dist_read' && hexNum(p.f[0]) === 0x4 && Number(p.f[1]) === 4) {
      this.fromTyper = Math.max(this.fromTyper, ((hexNum(p.f[2]) >> 5) & 7) + 1);
    }
  }

  /** Under multi-threaded TCG a vCPU's thread runs its own ICC (GICv3) or GICC (GICv2) accesses. */
  private learnTid(p: Parsed): void {
    if (p.ll.tid === null) return;
    const n = p.ll.name;
    const isCpuLine = ICC_EVENTS[n] !== undefined || n === 'gicv3_icc_generate_sgi' || n === 'gic_cpu_read' || n === 'gic_cpu_write';
    if (!isCpuLine) return;
    const c = this.namedCpu(p)!;
    const prev = this.tidSeen.get(p.ll.tid);
    if (prev === undefined) this.tidSeen.set(p.ll.tid, c);
    else if (prev !== c) this.tidAmbiguous.add(p.ll.tid);
  }

  /**
   * GICv2: which CPU wrote GICD_SGIR. The line does not say, but the IAR (or AIAR) read that takes
   * the SGI returns the sender in CPUID [12:10]. The first later acknowledge of that INTID on a
   * CPU the write could have targeted names it, provided no other GICD_SGIR write of the same
   * INTID comes between (else the write stays unattributed).
   */
  private learnSgirSender(q: Parsed): void {
    if (this.version !== 2) return;
    if (q.ll.name === 'gic_dist_write' && hexNum(q.f[0]) === 0xf00) {
      // A later SGIR write of the same INTID leaves the earlier one unattributed.
      const intid = hexNum(q.f[2]) & 0xf;
      this.sgirPending.delete(intid);
      if (Number(q.f[1]) === 4) this.sgirPending.set(intid, q);
      return;
    }
    if (q.ll.name !== 'gic_cpu_read' || q.f[0] !== 'cpu') return;
    const off = hexNum(q.f[2]);
    if (off !== 0xc && off !== 0x20) return;
    const iar = hexNum(q.f[3]);
    const intid = iar & 0x3ff;
    const w = intid < 16 ? this.sgirPending.get(intid) : undefined;
    if (!w) return;
    this.sgirPending.delete(intid);
    const v = hexNum(w.f[2]);
    const filter = (v >>> 24) & 3;
    const targets = (v >>> 16) & 0xff;
    const cpu = Number(q.f[1]);
    const src = (iar >>> 10) & 7;
    const fits = filter === 0 ? ((targets >> cpu) & 1) === 1 : filter === 1 ? cpu !== src : filter === 2 ? cpu === src : false;
    if (fits) this.sgirSender.set(w.ll.line, src);
  }

  /** After pass 1: the vCPU count (checked against every line), the unambiguous thread IDs. */
  finishLearning(): void {
    this.stats.internal = [...this.internal.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const inferred = Math.max(this.maxSeen + 1, this.fromTyper, 1);
    const cpus = this.opts.cpus ?? inferred;
    if (!Number.isInteger(cpus) || cpus < 1) throw new InputError(`--cpus ${cpus}`, { file: this.file }, 'a positive integer');
    const limit = this.version === 2 ? 8 : VIRT_MAX_REDIST_LOW;
    if (cpus > limit) throw new InputError(`${cpus} vCPUs`, { file: this.file }, `at most ${limit} for a GICv${this.version} virt machine`);
    if (this.maxSeen >= cpus && this.maxSeenAt) {
      throw this.err(this.maxSeenAt.ll, `line names vCPU ${this.maxSeen} but the trace has ${cpus} vCPUs`, `--cpus ${this.maxSeen + 1} or more`);
    }
    this.cpus = cpus;
    this.igroupr0 = new Array<number>(cpus).fill(0);
    for (const t of this.tidAmbiguous) this.tidSeen.delete(t);
    for (const [t, c] of this.tidSeen) this.tidCpu.set(t, c);
    this.stats.tidMap = [...this.tidSeen.entries()].sort((a, b) => a[0] - b[0]);
    this.stats.ambiguousTids = [...this.tidAmbiguous].sort((a, b) => a - b);
  }

  /** vCPU of an affinity printed by QEMU; no range check yet (pass 1). */
  private vcpuOfAff(p: Parsed, s: string): number {
    const v = vcpuOfAffinity(hexNum(s));
    if (v === null) throw this.err(p.ll, `affinity 0x${s} is not one QEMU virt gives a vCPU`, 'Aff0 0..15, Aff3 0 (virt numbering)');
    return v;
  }

  /** The vCPU a kept line names (ICC CPU, GICR target, GICv2 interface or PPI line), or null. */
  private namedCpu(p: Parsed): number | null {
    const n = p.ll.name;
    if (n === 'gicv3_icc_generate_sgi') return this.vcpuOfAff(p, p.f[0]);
    if (ICC_EVENTS[n]) return this.vcpuOfAff(p, p.f[ICC_EVENTS[n].lead.length]);
    if (n.startsWith('gicv3_redist_')) return this.vcpuOfAff(p, p.f[0]);
    if (n === 'gic_cpu_read' || n === 'gic_cpu_write') return Number(p.f[1]);
    if (n === 'gic_set_irq' && Number(p.f[0]) < 32) return this.ppiCpu(p);
    return null;
  }

  private ppiCpu(p: Parsed): number {
    const mask = hexNum(p.f[2]);
    if (mask === 0 || (mask & (mask - 1)) !== 0) throw this.err(p.ll, `PPI ${p.f[0]} with cpumask 0x${p.f[2]}`, 'a single-CPU mask for a PPI');
    return 31 - Math.clz32(mask);
  }

  /** GICD_SGIR writes (by line number) whose sender the log shows only through the IAR that took the SGI. */
  private readonly sgirSender = new Map<number, number>();

  private accessor(p: Parsed): number | null {
    const c = p.ll.tid === null ? undefined : this.tidCpu.get(p.ll.tid);
    if (c === undefined) {
      this.stats.unattributed++;
      return null;
    }
    this.stats.attributedByTid++;
    return c;
  }

  private size(p: Parsed, s: string, allowed: readonly number[]): AccessSize {
    const n = Number(s);
    if (!allowed.includes(n)) throw this.err(p.ll, `access size ${s}`, allowed.join(', '));
    return n as AccessSize;
  }

  private offset(p: Parsed, s: string): number {
    if (s.length > 8) throw this.err(p.ll, `offset 0x${s} is too large`, 'an offset inside the frame');
    return hexNum(s);
  }

  private secure(p: Parsed, s: string): void {
    if (s !== '0') throw this.err(p.ll, 'Secure access', '"secure 0": a KVM guest has a single (Non-secure) security state');
  }

  private level(p: Parsed, s: string): 0 | 1 {
    if (s !== '0' && s !== '1') throw this.err(p.ll, `line level ${s}`, '0 or 1');
    return s === '1' ? 1 : 0;
  }

  private vcpu(p: Parsed, s: string): number {
    return this.vcpuOfAff(p, s);
  }

  private intid(p: Parsed, s: string, min: number, max: number): number {
    const n = Number(s);
    if (n < min || n > max) throw this.err(p.ll, `interrupt ${s}`, `an INTID ${min}..${max}`);
    return n;
  }

  // ---- pass 2: events, in line order ----

  /** GICR_IGROUPR0 per vCPU as QEMU holds it (reset: all Group 0), to tell which SGI register was written. */
  private igroupr0: number[] = [];
  private eventCount = 0;
  /**
   * A generated SGI waits for the gicv3_redist_send_sgi lines right after it, which say where
   * QEMU pended it (both are logged under the BQL, so no other GIC line comes between).
   */
  private sgi: { ev: TraceEvent; sender: number; irq: number; implied: number[]; accepted: Set<number> } | null = null;

  private push(ev: TraceEvent, sink: (ev: TraceEvent) => void): void {
    ev.cycle = CYCLES_PER_EVENT * BigInt(++this.eventCount);
    this.stats.events = this.eventCount;
    sink(ev);
  }

  build(p: Parsed, sink: (ev: TraceEvent) => void): void {
    if (p.ll.name === 'gicv3_redist_send_sgi') {
      const t = this.sgi;
      if (t && Number(p.f[1]) === t.irq) t.accepted.add(this.vcpu(p, p.f[0]));
      return;
    }
    this.endSgi(sink);
    if (p.fmt.role === 'its') {
      this.itsLine(p, sink);
      return;
    }
    this.endCommand(sink);
    const ev = this.event(p, 31 + (this.opts.spis ?? VIRT_SPIS));
    if (ev.kind === EventKind.Line) this.stats.lineChanges++;
    else this.stats.accesses++;
    this.noteItsWrite(ev);
    if ((ev.kind === EventKind.MmioWrite || ev.kind === EventKind.MmioRead) && ev.frame === Frame.RedistSgi && ev.offset === 0x80 && ev.size === 4) {
      const v = ev.kind === EventKind.MmioWrite ? ev.value : ev.observed;
      if (v !== null) this.igroupr0[ev.index] = Number(v & 0xffffffffn);
    }
    if (p.ll.name !== 'gicv3_icc_generate_sgi') {
      this.push(ev, sink);
      return;
    }
    this.sgi = { ev, ...this.sgiTargets(p) };
  }

  /** The end of the log: a generated SGI still waiting is complete, and so is an ITS command. */
  endBuild(sink: (ev: TraceEvent) => void): void {
    this.endSgi(sink);
    this.endCommand(sink);
  }

  // ---- the ITS: commands QEMU read from the queue, and MSIs ----

  /** GITS_CBASER as the guest last wrote it (QEMU reads its queue from there), halves included. */
  private cbaser = 0n;
  /** The command gicv3_its_process_command announced, waiting for its decoded line. */
  private command: { p: Parsed; index: number; words: bigint[]; inferred: boolean } | null = null;
  /** ICID of the last MAPC: Linux sends INVALL for the collection it just mapped (its_cpu_init_collection). */
  private lastMapcIcid = 0n;

  /** GITS_BASER0 (the device table) and GICR_PROPBASER as last written: where reconstructed memory goes. */
  private baser0 = 0n;
  private propbaser = 0n;
  /** pINTID of each mapped DeviceID/EventID (`dev:event`), from MAPTI/MAPI. */
  private readonly lpiOf = new Map<string, bigint>();
  /** Level-1 device-table indexes already given an entry. */
  private readonly l1Done = new Set<bigint>();

  /** Keep GITS_CBASER/BASER0 and GICR_PROPBASER from the guest's writes (64-bit, or two 32-bit halves). */
  private noteItsWrite(ev: TraceEvent): void {
    if (ev.kind !== EventKind.MmioWrite) return;
    const keep = (old: bigint, base: number): bigint => {
      if (ev.offset === base && ev.size === 8) return ev.value;
      if (ev.offset === base && ev.size === 4) return (old & ~0xffffffffn) | ev.value;
      if (ev.offset === base + 4 && ev.size === 4) return (old & 0xffffffffn) | (ev.value << 32n);
      return old;
    };
    if (ev.frame === Frame.Its) {
      this.cbaser = keep(this.cbaser, 0x80);
      this.baser0 = keep(this.baser0, 0x100);
    } else if (ev.frame === Frame.RedistRd) {
      this.propbaser = keep(this.propbaser, 0x70);
    }
  }

  /** Guest memory a rebuilt command needs that the log cannot show (see details.itsMemory), before the command. */
  private reconstructFor(words: bigint[], sink: (ev: TraceEvent) => void): void {
    const op = words[0] & 0xffn;
    const dev = words[0] >> 32n;
    const event = words[1] & 0xffffffffn;
    const bytes = (addr: bigint, n: number, v: bigint): void => {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = Number((v >> BigInt(8 * i)) & 0xffn);
      this.push({ kind: EventKind.MemWrite, cycle: 0n, cpu: null, addr, data }, sink);
    };
    if (op === 0x08n && words[2] >> 63n === 1n) {
      // MAPD V=1 on an indirect, valid device table: its level-1 entry must be valid (QEMU walked it)
      if (this.baser0 >> 63n !== 1n || ((this.baser0 >> 62n) & 1n) !== 1n) return;
      const index = dev / (ITS_PAGE / ITS_ESZ);
      if (this.l1Done.has(index)) return;
      this.l1Done.add(index);
      const l2 = L2_PAGE + ITS_PAGE * index;
      bytes((this.baser0 & 0x0000ffffffff0000n) + ITS_ESZ * index, 8, l2 | (1n << 63n));
      bytes(l2 + ITS_ESZ * (dev % (ITS_PAGE / ITS_ESZ)), 8, 0n);
      this.stats.itsL1Entries++;
    } else if (op === 0x0an || op === 0x0bn) {
      const lpi = op === 0x0an ? words[1] >> 32n : event;
      this.lpiOf.set(`${dev}:${event}`, lpi);
      // KVM reads the byte when it maps the LPI: Linux's table holds it disabled (its_allocate_prop_table's memset)
      if (lpi >= 8192n && this.propbaser !== 0n) {
        bytes((this.propbaser & 0x000ffffffffff000n) + lpi - 8192n, 1, BigInt(LINUX_LPI_PROP_DEFAULT));
        this.stats.itsPropBytes++;
      }
    } else if (op === 0x0fn) {
      this.lpiOf.delete(`${dev}:${event}`); // DISCARD
    } else if (op === 0x0cn) {
      const lpi = this.lpiOf.get(`${dev}:${event}`);
      if (lpi === undefined || lpi < 8192n || this.propbaser === 0n) return;
      bytes((this.propbaser & 0x000ffffffffff000n) + lpi - 8192n, 1, BigInt(LINUX_LPI_PROP_ENABLED));
      this.stats.itsPropBytes++;
    }
  }

  private itsLine(p: Parsed, sink: (ev: TraceEvent) => void): void {
    const f = p.f;
    const n = p.ll.name;
    if (n === 'gicv3_its_process_command') {
      this.endCommand(sink);
      // The offset QEMU prints is GITS_CREADR.Offset: the command's index in the queue.
      this.command = { p, index: hexNum(f[0]), words: [hexBig(f[1]) & 0xffn, 0n, 0n, 0n], inferred: false };
      return;
    }
    if (n === 'gicv3_its_translation_write') {
      this.endCommand(sink);
      // A device's write to GITS_TRANSLATER (offset in the translation frame, 64 KiB above the control frame).
      const address = VIRT_ITS + 0x10000n + BigInt(hexNum(f[0]));
      const data = hexBig(f[1]);
      if (data > 0xffffffffn) throw this.err(p.ll, `MSI data 0x${f[1]} is wider than 32 bits`, 'a 32-bit EventID');
      this.stats.msis++;
      this.push({ kind: EventKind.Msi, cycle: 0n, cpu: null, address, data: Number(data), devid: hexNum(f[3]) }, sink);
      return;
    }
    const c = this.command;
    if (!c) throw this.err(p.ll, `${n} without the gicv3_its_process_command line before it`, 'each decoded ITS command right after its "processing command" line');
    const w = c.words;
    const dev = (i: number): void => {
      w[0] |= hexBig(f[i]) << 32n;
    };
    const ev = (i: number): void => {
      w[1] |= hexBig(f[i]) & 0xffffffffn;
    };
    const icid = (v: bigint): void => {
      w[2] |= v & 0xffffn;
    };
    const rdbase = (k: number, v: bigint): void => {
      w[k] |= (v & 0xfffffffffn) << 16n;
    };
    switch (n) {
      case 'gicv3_its_cmd_int':
      case 'gicv3_its_cmd_clear':
      case 'gicv3_its_cmd_discard':
      case 'gicv3_its_cmd_inv':
        dev(0);
        ev(1);
        break;
      case 'gicv3_its_cmd_sync':
        // QEMU does not print SYNC's RDbase; KVM does nothing with SYNC either.
        c.inferred = true;
        break;
      case 'gicv3_its_cmd_mapd':
        dev(0);
        w[1] |= hexBig(f[1]) & 0x1fn; // Size (EventID bits - 1), as QEMU prints it
        w[2] |= (hexBig(f[2]) << 8n) & 0x000fffffffffff00n; // QEMU prints ITT_addr >> 8
        if (f[3] !== '0') w[2] |= 1n << 63n;
        break;
      case 'gicv3_its_cmd_mapc':
        icid(hexBig(f[0]));
        rdbase(2, hexBig(f[1])); // the processor number (GITS_TYPER.PTA = 0)
        if (f[2] !== '0') w[2] |= 1n << 63n;
        this.lastMapcIcid = hexBig(f[0]);
        break;
      case 'gicv3_its_cmd_mapi':
      case 'gicv3_its_cmd_mapti':
        dev(0);
        ev(1);
        icid(hexBig(f[2]));
        if (n === 'gicv3_its_cmd_mapti') w[1] |= (hexBig(f[3]) & 0xffffffffn) << 32n;
        break;
      case 'gicv3_its_cmd_invall':
        // QEMU does not print INVALL's ICID: Linux invalidates the collection it has just mapped.
        icid(this.lastMapcIcid);
        c.inferred = true;
        break;
      case 'gicv3_its_cmd_movall':
        rdbase(2, hexBig(f[0]));
        rdbase(3, hexBig(f[1]));
        break;
      case 'gicv3_its_cmd_movi':
        dev(0);
        ev(1);
        icid(hexBig(f[2]));
        break;
      default:
        // GICv4 commands (KVM's vITS ignores them) and unknown opcodes: the opcode, other fields 0.
        c.inferred = true;
        break;
    }
    this.endCommand(sink);
  }

  /** The announced command as the 32 bytes the guest put at GITS_CBASER + 32 × index. */
  private endCommand(sink: (ev: TraceEvent) => void): void {
    const c = this.command;
    if (!c) return;
    this.command = null;
    const base = this.cbaser & 0x000ffffffffff000n;
    const data = new Uint8Array(32);
    const dv = new DataView(data.buffer);
    c.words.forEach((v, i) => dv.setBigUint64(8 * i, v, true));
    this.stats.itsCommands++;
    if (c.inferred) this.stats.itsInferred++;
    this.reconstructFor(c.words, sink);
    this.push({ kind: EventKind.MemWrite, cycle: 0n, cpu: null, addr: base + BigInt(c.index) * 32n, data }, sink);
  }

  private endSgi(sink: (ev: TraceEvent) => void): void {
    const t = this.sgi;
    if (!t) return;
    this.sgi = null;
    const ev = t.ev;
    const group = this.sgiGroup(t, this.igroupr0);
    if (group === 0 && ev.kind === EventKind.SysregWrite) {
      ev.enc = ICC_SGI0R;
      this.stats.sgi0r++;
    }
    this.push(ev, sink);
    if (!t.implied.every((v) => t.accepted.has(v))) {
      this.stats.sgiMarkers++;
      const list = (xs: number[]) => (xs.length ? xs.map((v) => `cpu${v}`).join(',') : 'none');
      this.push(
        {
          kind: EventKind.Marker,
          cycle: 0n,
          cpu: t.sender,
          text: `qemu: SGI ${t.irq} pended on ${list(t.implied.filter((v) => t.accepted.has(v)))} of targets ${list(t.implied)} (QEMU pends an SGI only where its group matches the register written: ICC_SGI1R Group 1, ICC_SGI0R/ICC_ASGI1R Group 0 with DS=1)`,
        },
        sink,
      );
    }
  }

  /** The vCPUs an SGI's fields name (QEMU pends it only where the SGI's group matches the register written). */
  private sgiTargets(g: Parsed): { sender: number; irq: number; implied: number[]; accepted: Set<number> } {
    const sender = this.vcpu(g, g.f[0]);
    const irq = Number(g.f[1]);
    const irm = g.f[2] === '1';
    const aff = hexNum(g.f[3]);
    const tl = hexNum(g.f[4]);
    const implied: number[] = [];
    for (let v = 0; v < this.cpus; v++) {
      const a = affinityOf(v);
      if (irm ? v !== sender : a >>> 8 === aff && (a & 0xff) <= 15 && ((tl >> (a & 0xff)) & 1) === 1) implied.push(v);
    }
    return { sender, irq, implied, accepted: new Set<number>() };
  }

  /**
   * The group the SGI register asked for: the SGI's group at a target that took it, or the other
   * group at one that did not. Group 0 means ICC_SGI0R (ICC_ASGI1R acts the same with DS=1, and
   * under KVM); null when no target was named.
   */
  private sgiGroup(t: { irq: number; implied: number[]; accepted: Set<number> }, igroupr0: number[]): 0 | 1 | null {
    const bit = (v: number) => ((igroupr0[v] >>> t.irq) & 1) as 0 | 1;
    const took = t.implied.find((v) => t.accepted.has(v));
    if (took !== undefined) return bit(took);
    if (t.implied.length) return bit(t.implied[0]) === 1 ? 0 : 1;
    return null;
  }

  private event(p: Parsed, maxSpi: number): TraceEvent {
    const f = p.f;
    const cycle = 0n;
    switch (p.ll.name) {
      case 'gicv3_dist_read':
        this.secure(p, f[3]);
        return { kind: EventKind.MmioRead, cycle, cpu: this.accessor(p), frame: Frame.Dist, index: 0, offset: this.offset(p, f[0]), size: this.size(p, f[2], [1, 2, 4, 8]), observed: hexBig(f[1]) };
      case 'gicv3_dist_badread':
        // QEMU turns the error into RAZ (arm_gicv3_dist.c): the guest read 0.
        this.secure(p, f[2]);
        return { kind: EventKind.MmioRead, cycle, cpu: this.accessor(p), frame: Frame.Dist, index: 0, offset: this.offset(p, f[0]), size: this.size(p, f[1], [1, 2, 4, 8]), observed: 0n };
      case 'gicv3_dist_write':
      case 'gicv3_dist_badwrite':
        this.secure(p, f[3]);
        return { kind: EventKind.MmioWrite, cycle, cpu: this.accessor(p), frame: Frame.Dist, index: 0, offset: this.offset(p, f[0]), size: this.size(p, f[2], [1, 2, 4, 8]), value: hexBig(f[1]) };
      case 'gicv3_redist_read': {
        this.secure(p, f[4]);
        const { frame, offset } = this.redistOffset(p, f[1]);
        return { kind: EventKind.MmioRead, cycle, cpu: this.accessor(p), frame, index: this.vcpu(p, f[0]), offset, size: this.size(p, f[3], [1, 2, 4, 8]), observed: hexBig(f[2]) };
      }
      case 'gicv3_redist_badread': {
        this.secure(p, f[3]);
        const { frame, offset } = this.redistOffset(p, f[1]);
        return { kind: EventKind.MmioRead, cycle, cpu: this.accessor(p), frame, index: this.vcpu(p, f[0]), offset, size: this.size(p, f[2], [1, 2, 4, 8]), observed: 0n };
      }
      case 'gicv3_redist_write':
      case 'gicv3_redist_badwrite': {
        this.secure(p, f[4]);
        const { frame, offset } = this.redistOffset(p, f[1]);
        return { kind: EventKind.MmioWrite, cycle, cpu: this.accessor(p), frame, index: this.vcpu(p, f[0]), offset, size: this.size(p, f[3], [1, 2, 4, 8]), value: hexBig(f[2]) };
      }
      case 'gicv3_its_read':
        return { kind: EventKind.MmioRead, cycle, cpu: this.accessor(p), frame: Frame.Its, index: 0, offset: this.offset(p, f[0]), size: this.size(p, f[2], [1, 2, 4, 8]), observed: hexBig(f[1]) };
      case 'gicv3_its_badread':
        return { kind: EventKind.MmioRead, cycle, cpu: this.accessor(p), frame: Frame.Its, index: 0, offset: this.offset(p, f[0]), size: this.size(p, f[1], [1, 2, 4, 8]), observed: 0n };
      case 'gicv3_its_write':
      case 'gicv3_its_badwrite':
        return { kind: EventKind.MmioWrite, cycle, cpu: this.accessor(p), frame: Frame.Its, index: 0, offset: this.offset(p, f[0]), size: this.size(p, f[2], [1, 2, 4, 8]), value: hexBig(f[1]) };
      case 'gicv3_icc_generate_sgi': {
        const cpu = this.vcpu(p, f[0]);
        const intid = this.intid(p, f[1], 0, 15);
        const irm = this.level(p, f[2]);
        const aff = hexNum(f[3]);
        const tl = hexNum(f[4]);
        if (aff > 0xffffff || tl > 0xffff) throw this.err(p.ll, `SGI target affinity 0x${f[3]} / targetlist 0x${f[4]} out of range`, 'a 24-bit affinity and a 16-bit target list');
        return { kind: EventKind.SysregWrite, cycle, cpu, enc: ICC_SGI1R, value: sgi1rValue(intid, irm, aff, tl) };
      }
      case 'gicv3_dist_set_irq':
        return { kind: EventKind.Line, cycle, intid: this.intid(p, f[0], 32, maxSpi), cpu: null, level: this.level(p, f[1]) };
      case 'gicv3_redist_set_irq':
        return { kind: EventKind.Line, cycle, intid: this.intid(p, f[1], 16, 31), cpu: this.vcpu(p, f[0]), level: this.level(p, f[2]) };
      case 'gic_dist_read':
        return { kind: EventKind.MmioRead, cycle, cpu: this.accessor(p), frame: Frame.Dist, index: 0, offset: this.offset(p, f[0]), size: this.size(p, f[1], [1, 2, 4]), observed: hexBig(f[2]) };
      case 'gic_dist_write': {
        const sender = this.sgirSender.get(p.ll.line);
        if (sender !== undefined && (p.ll.tid === null || !this.tidCpu.has(p.ll.tid))) {
          this.stats.sgirInferred++;
          return { kind: EventKind.MmioWrite, cycle, cpu: sender, frame: Frame.Dist, index: 0, offset: 0xf00, size: 4, value: hexBig(f[2]) };
        }
        return { kind: EventKind.MmioWrite, cycle, cpu: this.accessor(p), frame: Frame.Dist, index: 0, offset: this.offset(p, f[0]), size: this.size(p, f[1], [1, 2, 4]), value: hexBig(f[2]) };
      }
      case 'gic_cpu_read':
        return { kind: EventKind.MmioRead, cycle, cpu: Number(f[1]), frame: Frame.CpuIf, index: 0, offset: this.offset(p, f[2]), size: 4, observed: hexBig(f[3]) };
      case 'gic_cpu_write':
        return { kind: EventKind.MmioWrite, cycle, cpu: Number(f[1]), frame: Frame.CpuIf, index: 0, offset: this.offset(p, f[2]), size: 4, value: hexBig(f[3]) };
      case 'gic_set_irq': {
        const intid = this.intid(p, f[0], 16, maxSpi);
        return { kind: EventKind.Line, cycle, intid, cpu: intid < 32 ? this.ppiCpu(p) : null, level: this.level(p, f[1]) };
      }
      default: {
        const icc = ICC_EVENTS[p.ll.name];
        if (!icc) throw this.err(p.ll, `no importer rule for ${p.ll.name}`);
        const lead = icc.lead.map((_, i) => Number(f[i]));
        const r = iccEncoding(p.ll.name, lead);
        if ('error' in r) throw this.err(p.ll, r.error, 'an ICC register QEMU traces');
        const cpu = this.vcpu(p, f[icc.lead.length]);
        const value = hexBig(f[icc.lead.length + 1]);
        return icc.dir === 'read' ? { kind: EventKind.SysregRead, cycle, cpu, enc: r.enc, observed: value } : { kind: EventKind.SysregWrite, cycle, cpu, enc: r.enc, value };
      }
    }
  }

  /** QEMU prints redistributor offsets from RD_base; the SGI_base frame starts 64 KiB above it. */
  private redistOffset(p: Parsed, s: string): { frame: Frame; offset: number } {
    const off = this.offset(p, s);
    if (off < 0x10000) return { frame: Frame.RedistRd, offset: off };
    if (off < 0x20000) return { frame: Frame.RedistSgi, offset: off - 0x10000 };
    throw this.err(p.ll, `redistributor offset 0x${s} is beyond the SGI_base frame`, 'an offset below 0x20000 (GICv3 redistributor, two 64 KiB frames)');
  }
}

const V2_VIRT_WHY = 'a "vcpu" interface line comes from the GICv2 virtualization extensions (GICV), which a KVM guest does not reach through QEMU';

/** Default output name: the log's name without .gz/.log/.txt, with .gtr, next to it. */
export function defaultTracePath(log: string): string {
  let base = log;
  for (const ext of ['.gz', '.log', '.txt']) if (base.endsWith(ext)) base = base.slice(0, -ext.length);
  return `${base}.gtr`;
}

/** One-paragraph summary for the CLI. */
export function formatImportSummary(out: string, s: QemuImportStats, trailer: TraceTrailer): string[] {
  const internal = s.internal.reduce((n, [, c]) => n + c, 0);
  const lines = [
    `wrote ${out}: ${trailer.events} events (${s.accesses} register accesses, ${s.lineChanges} input line changes) from ${s.lines} log lines`,
    `dropped ${internal} internal QEMU events${s.internal.length ? ` (${s.internal.map(([n, c]) => `${n} ${c}`).join(', ')})` : ''}`,
    s.tidMap.length
      ? `vCPU attribution by thread ID: ${s.attributedByTid} MMIO accesses attributed, ${s.unattributed} unknown`
      : `${s.unattributed} MMIO accesses without a vCPU (no thread IDs in the log)`,
  ];
  if (s.sgiMarkers) lines.push(`${s.sgiMarkers} markers for SGIs QEMU did not pend on every named target`);
  if (s.skippedUnknown) lines.push(`skipped ${s.skippedUnknown} unknown, unsupported or malformed lines (--skip-unknown)`);
  lines.push(`digest ${trailer.digest}`);
  return lines;
}
