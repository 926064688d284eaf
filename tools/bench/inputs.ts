// Benchmark inputs, generated deterministically and cached under bench-results/inputs/ (gitignored):
// the synthetic guest trace, the same trace's first N MMIO accesses as a trace of their own, and
// those accesses as QEMU qtest commands, so gicreplay and QEMU replay the very same stream.

import * as fs from 'fs';
import * as path from 'path';
import { EventKind, Frame, MmioReadEvent, MmioWriteEvent, TraceEvent } from '../../engine/trace/events';
import { openTrace } from '../../engine/trace/reader';
import { TraceWriter } from '../../engine/trace/writer';
import { synthGuestEvents, synthGuestHeader, SynthMix } from './synth-guest';

/** Bump when synth-guest.ts changes what it generates, so cached inputs are rebuilt. */
export const SYNTH_VERSION = 1;

/** QEMU virt (gic-version=3) frame bases: GICD, then one 128 KiB RD+SGI pair per redistributor. */
const QEMU_GICD = 0x08000000;
const QEMU_GICR = 0x080a0000;
const GICR_STRIDE = 0x20000;

export interface SynthInput {
  file: string;
  bytes: number;
  mix: SynthMix;
  generatedMs: number | null;
}

function mixFile(trace: string): string {
  return `${trace}.mix.json`;
}

/** Generate (or reuse) the synthetic trace of `events` events. */
export function synthTrace(dir: string, events: number): SynthInput {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `synth-guest-v${SYNTH_VERSION}-${events}.gtr`);
  if (fs.existsSync(file) && fs.existsSync(mixFile(file))) {
    return { file, bytes: fs.statSync(file).size, mix: JSON.parse(fs.readFileSync(mixFile(file), 'utf8')) as SynthMix, generatedMs: null };
  }
  const t0 = process.hrtime.bigint();
  const w = TraceWriter.create(file, synthGuestHeader());
  const mix: SynthMix = { events: 0, mmio: 0, sysreg: 0, line: 0, timerWrites: 0 };
  try {
    for (const ev of synthGuestEvents(events)) {
      w.write(ev);
      mix.events++;
      if (ev.kind === EventKind.MmioRead || ev.kind === EventKind.MmioWrite) mix.mmio++;
      else if (ev.kind === EventKind.SysregRead || ev.kind === EventKind.SysregWrite) mix.sysreg++;
      else if (ev.kind === EventKind.Line) mix.line++;
      if (ev.kind === EventKind.SysregWrite && (ev.enc >> 8) === 0x33e) mix.timerWrites++; // op0 3, op1 3, CRn 14
    }
    w.finish();
  } catch (e) {
    w.abort();
    throw e;
  }
  fs.writeFileSync(mixFile(file), `${JSON.stringify(mix)}\n`);
  return { file, bytes: fs.statSync(file).size, mix, generatedMs: Number(process.hrtime.bigint() - t0) / 1e6 };
}

function qtestAddr(ev: MmioReadEvent | MmioWriteEvent): number {
  switch (ev.frame) {
    case Frame.Dist:
      return QEMU_GICD + ev.offset;
    case Frame.RedistRd:
      return QEMU_GICR + ev.index * GICR_STRIDE + ev.offset;
    case Frame.RedistSgi:
      return QEMU_GICR + ev.index * GICR_STRIDE + 0x10000 + ev.offset;
    default:
      throw new Error(`bench: frame ${ev.frame} has no QEMU virt GICv3 address`);
  }
}

const SUFFIX: Record<number, string> = { 1: 'b', 2: 'w', 4: 'l', 8: 'q' };

/** One qtest command line for an MMIO event (QEMU's qtest protocol: readl ADDR / writel ADDR VALUE). */
export function qtestCommand(ev: MmioReadEvent | MmioWriteEvent): string {
  const a = `0x${qtestAddr(ev).toString(16)}`;
  return ev.kind === EventKind.MmioRead ? `read${SUFFIX[ev.size]} ${a}` : `write${SUFFIX[ev.size]} ${a} 0x${ev.value.toString(16)}`;
}

export interface MmioInput {
  trace: string;
  commands: string;
  accesses: number;
}

/** The first `count` MMIO accesses of `source`, as a trace and as a qtest command file. */
export function mmioStream(dir: string, source: string, count: number): MmioInput {
  const base = path.join(dir, `${path.basename(source, '.gtr')}-mmio-${count}`);
  const trace = `${base}.gtr`;
  const commands = `${base}.qtest`;
  if (fs.existsSync(trace) && fs.existsSync(commands)) {
    return { trace, commands, accesses: countLines(commands) };
  }
  const r = openTrace(source);
  const w = TraceWriter.create(trace, r.header);
  const lines: string[] = [];
  const tmp = `${commands}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (let ev: TraceEvent | null = r.next(); ev; ev = r.next()) {
      if (ev.kind !== EventKind.MmioRead && ev.kind !== EventKind.MmioWrite) continue;
      w.write(ev);
      lines.push(qtestCommand(ev));
      if (lines.length === 65536) fs.writeSync(fd, `${lines.splice(0).join('\n')}\n`);
      if (w.events >= count) break;
    }
    if (lines.length) fs.writeSync(fd, `${lines.join('\n')}\n`);
    w.finish();
  } catch (e) {
    w.abort();
    throw e;
  } finally {
    fs.closeSync(fd);
    r.close();
  }
  fs.renameSync(tmp, commands);
  return { trace, commands, accesses: countLines(commands) };
}

function countLines(file: string): number {
  const b = fs.readFileSync(file);
  let n = 0;
  for (let i = 0; i < b.length; i++) if (b[i] === 10) n++;
  return n;
}
