// Header (and trailer) <-> wire maps, with the full schema check of FORMAT.md "Header".
// Wire integers are msgpack ints below 2^32 and uint64 at or above it; see codec.ts wireUint.

import { GICREPLAY_VERSION } from '../version';
import { wireUint } from './codec';
import { GicVersion, MINOR_INIT_AND_RESULTS, SourceKind, TRACE_FORMAT_MAJOR, TRACE_FORMAT_MINOR, TRACE_MAGIC, TraceHeader, TraceTrailer } from './events';
import { describeValue, violation } from './violation';

/** KVM limits: VGIC_V2_MAX_CPUS, VGIC_V3_MAX_CPUS (= KVM_MAX_VCPUS on arm64), VGIC_MAX_SPI - 31. */
export const MAX_CPUS: Record<GicVersion, number> = { 2: 8, 3: 512 };
export const MAX_SPIS = 988;
export const SOURCE_KINDS: readonly SourceKind[] = ['guest-script', 'qemu', 'kvm-ftrace', 'hand'];

/** The header as written: with the minor it states (at most ours), so a 1.0 trace is rewritten as 1.0. */
export function headerToWire(h: TraceHeader): Record<string, unknown> {
  if (!Number.isInteger(h.formatMinor) || h.formatMinor < 0 || h.formatMinor > TRACE_FORMAT_MINOR) {
    violation(`header formatMinor ${String(h.formatMinor)}`, `a format minor this gicreplay writes (0 to ${TRACE_FORMAT_MINOR})`);
  }
  const details: Record<string, string> = {};
  for (const k of Object.keys(h.provenance.details).sort()) details[k] = h.provenance.details[k];
  const frames: Record<string, unknown> = { dist: wireUint(h.gic.frames.dist) };
  if (h.gic.frames.redist) frames.redist = h.gic.frames.redist.map(wireUint);
  if (h.gic.frames.cpuif !== undefined) frames.cpuif = wireUint(h.gic.frames.cpuif);
  if (h.gic.frames.its !== undefined) frames.its = wireUint(h.gic.frames.its);
  return {
    magic: TRACE_MAGIC,
    formatMajor: TRACE_FORMAT_MAJOR,
    formatMinor: h.formatMinor,
    writer: h.writer || `gicreplay ${GICREPLAY_VERSION}`,
    gic: {
      version: h.gic.version,
      cpus: h.gic.cpus.map((c) => ({ mpidr: wireUint(c.mpidr) })),
      spis: h.gic.spis,
      its: h.gic.its,
      frames,
      ...(h.gic.init !== undefined ? { init: h.gic.init } : {}),
    },
    timer: {
      cntfrq: wireUint(h.timer.cntfrq),
      counterPerCycle: { num: wireUint(h.timer.counterPerCycle.num), den: wireUint(h.timer.counterPerCycle.den) },
      virtualOffset: wireUint(h.timer.virtualOffset),
      physicalOffset: wireUint(h.timer.physicalOffset),
    },
    provenance: {
      kind: h.provenance.kind,
      tool: h.provenance.tool,
      command: h.provenance.command,
      blindSpots: [...h.provenance.blindSpots],
      cycles: h.provenance.cycles,
      details,
    },
  };
}

export function trailerToWire(t: TraceTrailer): Record<string, unknown> {
  return { trailer: true, events: wireUint(BigInt(t.events)), digest: t.digest };
}

// ---- schema checks -------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function map(v: unknown, path: string): Obj {
  if (!isObj(v)) violation(`${path} is ${describeValue(v)}`, `${path} to be a map`);
  return v;
}

function keys(o: Obj, path: string, allowed: readonly string[], lenient: boolean): void {
  if (lenient) return;
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) violation(`unknown field ${path}.${k}`, `only ${allowed.join(', ')} in ${path} (a newer format minor may add fields)`);
  }
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') violation(`${path} is ${describeValue(v)}`, `${path} to be a string`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') violation(`${path} is ${describeValue(v)}`, `${path} to be a bool`);
  return v;
}

export function uint32(v: unknown, path: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
  if (typeof v === 'bigint' && v >= 0n && v <= 0xffffffffn) return Number(v);
  return violation(`${path} is ${describeValue(v)}`, `${path} to be an unsigned integer below 2^32`);
}

export function uint64(v: unknown, path: string): bigint {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return BigInt(v);
  if (typeof v === 'bigint' && v >= 0n && v <= 0xffffffffffffffffn) return v;
  return violation(`${path} is ${describeValue(v)}`, `${path} to be an unsigned 64-bit integer (msgpack int, uint64 at or above 2^32)`);
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) violation(`${path} is ${describeValue(v)}`, `${path} to be an array`);
  return v;
}

/** The version gate, applied before anything else so a newer major is refused with both versions named. */
export function checkMagicAndVersion(h: unknown): { major: number; minor: number } {
  if (!isObj(h) || h.magic !== TRACE_MAGIC) {
    violation('not a gicreplay trace', `a header map whose "magic" is "${TRACE_MAGIC}" as the first msgpack value`);
  }
  const major = uint32(h.formatMajor, 'header.formatMajor');
  const minor = uint32(h.formatMinor, 'header.formatMinor');
  if (major > TRACE_FORMAT_MAJOR) {
    violation(
      `trace format ${major}.${minor} is newer than this gicreplay reads (format ${TRACE_FORMAT_MAJOR}.${TRACE_FORMAT_MINOR})`,
      `format major ${TRACE_FORMAT_MAJOR}; upgrade gicreplay to read this trace`,
    );
  }
  if (major < TRACE_FORMAT_MAJOR) violation(`trace format ${major}.${minor} predates format ${TRACE_FORMAT_MAJOR}`, `format major ${TRACE_FORMAT_MAJOR}`);
  return { major, minor };
}

/** Validate a decoded header map against the schema and build the in-memory header. */
export function parseHeader(h: unknown): TraceHeader {
  const { major, minor } = checkMagicAndVersion(h);
  const o = h as Obj;
  const lenient = minor > TRACE_FORMAT_MINOR;
  keys(o, 'header', ['magic', 'formatMajor', 'formatMinor', 'writer', 'gic', 'timer', 'provenance'], lenient);
  const writer = str(o.writer, 'header.writer');

  const g = map(o.gic, 'header.gic');
  keys(g, 'header.gic', minor >= MINOR_INIT_AND_RESULTS ? ['version', 'cpus', 'spis', 'its', 'frames', 'init'] : ['version', 'cpus', 'spis', 'its', 'frames'], lenient);
  let init: 'traced' | undefined;
  if (g.init !== undefined && minor >= MINOR_INIT_AND_RESULTS) {
    if (g.init !== 'traced') violation(`header.gic.init is ${describeValue(g.init)}`, '"traced" (the trace holds the vGIC\'s KVM_DEV_ARM_VGIC_CTRL_INIT), or no init key (initialised before the first event)');
    init = 'traced';
  }
  const version = g.version;
  if (version !== 2 && version !== 3) violation(`header.gic.version is ${describeValue(version)}`, 'GIC version 2 or 3');
  const cpuList = arr(g.cpus, 'header.gic.cpus');
  if (cpuList.length < 1 || cpuList.length > MAX_CPUS[version]) {
    violation(`header.gic.cpus has ${cpuList.length} entries`, `1 to ${MAX_CPUS[version]} vCPUs for GICv${version}`);
  }
  const cpus = cpuList.map((c, i) => {
    const p = `header.gic.cpus[${i}]`;
    const m = map(c, p);
    keys(m, p, ['mpidr'], lenient);
    return { mpidr: uint64(m.mpidr, `${p}.mpidr`) };
  });
  const spis = uint32(g.spis, 'header.gic.spis');
  if (spis > MAX_SPIS) violation(`header.gic.spis is ${spis}`, `at most ${MAX_SPIS} SPIs (INTIDs 32..1019)`);
  const its = bool(g.its, 'header.gic.its');
  if (its && version === 2) violation('header.gic.its is true on GICv2', 'no ITS with GICv2');

  const f = map(g.frames, 'header.gic.frames');
  keys(f, 'header.gic.frames', ['dist', 'redist', 'cpuif', 'its'], lenient);
  const frames: TraceHeader['gic']['frames'] = { dist: uint64(f.dist, 'header.gic.frames.dist') };
  if (f.redist !== undefined) {
    if (version !== 3) violation('header.gic.frames.redist is set on GICv2', 'redistributor frames only with GICv3');
    frames.redist = arr(f.redist, 'header.gic.frames.redist').map((v, i) => uint64(v, `header.gic.frames.redist[${i}]`));
  }
  if (f.cpuif !== undefined) {
    if (version !== 2) violation('header.gic.frames.cpuif is set on GICv3', 'a CPU-interface frame only with GICv2');
    frames.cpuif = uint64(f.cpuif, 'header.gic.frames.cpuif');
  }
  if (f.its !== undefined) {
    if (!its) violation('header.gic.frames.its is set but header.gic.its is false', 'an ITS frame only when gic.its is true');
    frames.its = uint64(f.its, 'header.gic.frames.its');
  }

  const t = map(o.timer, 'header.timer');
  keys(t, 'header.timer', ['cntfrq', 'counterPerCycle', 'virtualOffset', 'physicalOffset'], lenient);
  const cpc = map(t.counterPerCycle, 'header.timer.counterPerCycle');
  keys(cpc, 'header.timer.counterPerCycle', ['num', 'den'], lenient);
  const num = uint64(cpc.num, 'header.timer.counterPerCycle.num');
  const den = uint64(cpc.den, 'header.timer.counterPerCycle.den');
  if (den === 0n) violation('header.timer.counterPerCycle.den is 0', 'a non-zero denominator');

  const p = map(o.provenance, 'header.provenance');
  keys(p, 'header.provenance', ['kind', 'tool', 'command', 'blindSpots', 'cycles', 'details'], lenient);
  const kind = str(p.kind, 'header.provenance.kind');
  if (!(SOURCE_KINDS as readonly string[]).includes(kind)) violation(`header.provenance.kind is ${JSON.stringify(kind)}`, `one of ${SOURCE_KINDS.join(', ')}`);
  const blindSpots = arr(p.blindSpots, 'header.provenance.blindSpots').map((s, i) => str(s, `header.provenance.blindSpots[${i}]`));
  const d = map(p.details, 'header.provenance.details');
  const details: Record<string, string> = {};
  for (const k of Object.keys(d).sort()) details[k] = str(d[k], `header.provenance.details.${k}`);

  return {
    magic: TRACE_MAGIC,
    formatMajor: major,
    formatMinor: minor,
    writer,
    gic: init ? { version, cpus, spis, its, frames, init } : { version, cpus, spis, its, frames },
    timer: {
      cntfrq: uint64(t.cntfrq, 'header.timer.cntfrq'),
      counterPerCycle: { num, den },
      virtualOffset: uint64(t.virtualOffset, 'header.timer.virtualOffset'),
      physicalOffset: uint64(t.physicalOffset, 'header.timer.physicalOffset'),
    },
    provenance: {
      kind: kind as SourceKind,
      tool: str(p.tool, 'header.provenance.tool'),
      command: str(p.command, 'header.provenance.command'),
      blindSpots,
      cycles: str(p.cycles, 'header.provenance.cycles'),
      details,
    },
  };
}

/** Validate a decoded trailer map. The event count stays a bigint: a hostile 2^40 must compare exactly. */
export function parseTrailer(v: unknown, lenient: boolean): { events: bigint; digest: string } {
  const o = map(v, 'trailer');
  keys(o, 'trailer', ['trailer', 'events', 'digest'], lenient);
  if (o.trailer !== true) violation(`trailer.trailer is ${describeValue(o.trailer)}`, 'a trailer map with "trailer": true');
  const events = uint64(o.events, 'trailer.events');
  const digest = str(o.digest, 'trailer.digest');
  if (!/^[0-9a-f]{64}$/.test(digest)) violation(`trailer.digest is ${JSON.stringify(digest.slice(0, 80))}`, '64 lower-case hex digits (SHA-256)');
  return { events, digest };
}
