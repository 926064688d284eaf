// Golden body lines: one per replay record, in replay order. The line grammar is fixed (FORMAT.md)
// because compare.ts parses old lines back to say which register, field and INTIDs changed.
//
//   <idx> <cycle> <cpu> read <via> <reg>/<size> = <value>[ (recorded <hex>)][ error -E<NAME>][ unmodelled][ {fields}][ [INTIDs a-b]]
//   <idx> <cycle> <cpu> write <via> <reg>/<size> <value> -> "<effect>"[ error -E<NAME>][ unmodelled][ [INTIDs a-b]]
//   <idx> <cycle> cpu<n> irq|fiq <0|1>
//   <idx> <cycle> <cpu> line-mismatch INTID <n> recorded <0|1> modelled <0|1>
//   <idx> <cycle> <cpu> marker "<text>"
//   <idx> - - truncated "<reason>"
//   <idx> <cycle> <cpu> its-cmd @<creadr> "<command>" -> "<result>"
//   <idx> <cycle> - mem-write <addr>/<bytes> = <hex bytes, address order> "<why>"
//   <idx> <cycle> - msi <reg> -> <ioctl result> "<effect>"
//   <idx> <cycle> - ctrl <attribute> -> <ioctl result>[ "<effect>"]
//
// <idx> is the trace event index, or `-` for records the timer or reset produced; <cpu> is
// `cpu<n>` or `-` when the source could not tell. `error -E<NAME>` is the errno a userspace
// access (device attribute) returned, shown only when it is not 0. Decorations ({fields}, [INTIDs]) are derived
// from register and value only, so compare.ts can tell "only the rendering changed" from drift.

import { registerIntids } from '../arch/intids';
import { registryFor } from '../gic';
import { RegisterRegistry } from '../model/model';
import { ReplayRecord } from '../replay/records';
import { GicConfig } from '../trace/events';
import { errnoName } from '../util/errno';
import { hex } from '../util/hex';
import type { RecordPlace } from './results';

export type FieldFormatter = (reg: string, value: bigint) => string | undefined;

/** Field decoding from the GIC register registry; none when the registry (or a register) cannot decode. */
export function fieldFormatterFor(gic: GicConfig | undefined): FieldFormatter {
  if (!gic) return () => undefined;
  let reg: RegisterRegistry;
  try {
    reg = registryFor(gic);
  } catch {
    return () => undefined;
  }
  return (name, value) => {
    try {
      const s = reg.formatFields(name, value);
      return s === undefined || s === '' ? undefined : s.replace(/[\r\n{}]/g, ' ');
    } catch {
      return undefined;
    }
  };
}

const cpuText = (c: number | null): string => (c === null ? '-' : `cpu${c}`);

/** Quote free text so a line stays one line; plain JSON string escaping. */
export function quote(s: string): string {
  return JSON.stringify(s);
}

/** Suffixes by register name, one table per access size: the names are few, the lines many. */
const suffixes: Map<string, string>[] = [];

function intidSuffix(reg: string, size: number): string {
  const bySize = (suffixes[size] ??= new Map());
  let s = bySize.get(reg);
  if (s === undefined) {
    const info = registerIntids(reg, size);
    s = !info ? '' : info.count > 1 ? ` [INTIDs ${info.first}-${info.first + info.count - 1}]` : ` [INTIDs ${info.first}]`;
    bySize.set(reg, s);
  }
  return s;
}

function viaText(r: ReplayRecord & { op: 'write' }): string {
  if (r.src === 'timer') return 'timer';
  if (r.src === 'guest') return r.via;
  if (r.src === 'user') return 'user';
  return 'line';
}

/** The golden-line renderer for a trace's GIC: what `gicreplay replay` prints without --json. */
export function recordRenderer(gic: GicConfig): (r: ReplayRecord) => string {
  const fields = fieldFormatterFor(gic);
  return (r) => renderRecord(r, fields);
}

export function renderRecord(r: ReplayRecord, fields: FieldFormatter): string {
  switch (r.op) {
    case 'read': {
      let s = `${r.index < 0 ? '-' : r.index} ${hex(r.cycle)} ${cpuText(r.cpu)} read ${r.via} ${r.reg}/${r.size} = ${hex(r.value)}`;
      if (r.recorded !== null && r.recorded !== r.value) s += ` (recorded ${hex(r.recorded)})`;
      if (r.result) s += ` error ${errnoName(r.result)}`;
      if (r.unmodelled) s += ' unmodelled';
      const f = fields(r.reg, r.value);
      if (f) s += ` {${f}}`;
      return s + intidSuffix(r.reg, r.size);
    }
    case 'write': {
      let s = `${r.index < 0 ? '-' : r.index} ${hex(r.cycle)} ${cpuText(r.cpu)} write ${viaText(r)} ${r.reg}/${r.size} ${hex(r.value)} -> ${quote(r.effect)}`;
      if (r.result) s += ` error ${errnoName(r.result)}`;
      if (r.unmodelled) s += ' unmodelled';
      return s + (r.size > 0 ? intidSuffix(r.reg, r.size) : '');
    }
    case 'irq':
    case 'fiq':
      return `${r.index < 0 ? '-' : r.index} ${hex(r.cycle)} cpu${r.cpu} ${r.op} ${r.level}`;
    case 'line-mismatch':
      return `${r.index} ${hex(r.cycle)} ${cpuText(r.cpu)} line-mismatch INTID ${r.intid} recorded ${r.recorded} modelled ${r.modelled}`;
    case 'marker':
      return `${r.index} ${hex(r.cycle)} ${cpuText(r.cpu)} marker ${quote(r.text)}`;
    case 'truncated':
      return `${r.index} - - truncated ${quote(r.reason)}`;
    case 'its-cmd':
      return `${r.index} ${hex(r.cycle)} ${cpuText(r.cpu)} its-cmd @${hex(r.at)} ${quote(r.command)} -> ${quote(r.result)}`;
    case 'mem-write':
      return `${r.index < 0 ? '-' : r.index} ${hex(r.cycle)} - mem-write ${hex(r.addr)}/${r.bytes.length} = ${bytesHex(r.bytes)} ${quote(r.why)}`;
    case 'msi':
      return `${r.index} ${hex(r.cycle)} - msi ${r.reg.replace(/ /g, '_')} -> ${r.result} ${quote(r.effect)}`;
    case 'ctrl':
      return `${r.index} ${hex(r.cycle)} - ctrl ${r.reg} -> ${r.result}${r.effect ? ` ${quote(r.effect)}` : ''}`;
  }
}

/** Bytes as lower-case hex pairs in address order. */
export function bytesHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** A body line taken apart again (old side of a comparison). */
export interface ParsedLine extends RecordPlace {
  size?: number;
  value?: string;
  /** What identifies "the same record" on both sides: everything but the value and decorations. */
  slot: string;
  /** The line without derived decorations ({fields}, [INTIDs …]). */
  core: string;
}

const DECORATION = / \{[^}]*\}| \[INTIDs [^\]]*\]/g;
const READ_RE = /^read (\S+) (\S+)\/(\d+) = (0x[0-9a-f]+)/;
const WRITE_RE = /^write (\S+) (\S+)\/(\d+) (0x[0-9a-f]+) -> /;
const LEVEL_RE = /^(irq|fiq) ([01])$/;

export function parseLine(line: string): ParsedLine {
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  const sp3 = line.indexOf(' ', sp2 + 1);
  const idxTok = sp1 < 0 ? line : line.slice(0, sp1);
  const index = idxTok === '-' ? -1 : /^\d+$/.test(idxTok) ? Number(idxTok) : -1;
  const cycle = sp2 < 0 ? null : line.slice(sp1 + 1, sp2);
  const cpuTok = sp3 < 0 ? '' : line.slice(sp2 + 1, sp3);
  const cpu = /^cpu\d+$/.test(cpuTok) ? Number(cpuTok.slice(3)) : null;
  const rest = sp3 < 0 ? '' : line.slice(sp3 + 1);
  const core = line.replace(DECORATION, '');
  let m = READ_RE.exec(rest);
  if (m) return { index, cycle, cpu, op: 'read', via: m[1], reg: m[2], size: Number(m[3]), value: m[4], slot: `${idxTok} ${cpuTok} read ${m[1]} ${m[2]}/${m[3]}`, core };
  m = WRITE_RE.exec(rest);
  if (m) return { index, cycle, cpu, op: 'write', via: m[1], reg: m[2], size: Number(m[3]), value: m[4], slot: `${idxTok} ${cpuTok} write ${m[1]} ${m[2]}/${m[3]} ${m[4]}`, core };
  m = LEVEL_RE.exec(rest);
  if (m) return { index, cycle, cpu, op: m[1], value: m[2], slot: `${idxTok} ${cpuTok} ${m[1]}`, core };
  const op = rest.split(' ', 1)[0] ?? '';
  return { index, cycle, cpu, op, slot: `${idxTok} ${cpuTok} ${op}`, core };
}

/** Event-index token of a body line, cheaply (for block alignment). -1 for `-`. */
export function lineIndex(line: string): number {
  const sp = line.indexOf(' ');
  const tok = sp < 0 ? line : line.slice(0, sp);
  if (tok === '-') return -1;
  const n = Number(tok);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}
