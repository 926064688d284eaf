// The guest memory a trace's ITS reads, as memslots for the KVM runner (`mem BASE SIZE` job lines).
// KVM's vITS reads and writes guest RAM through memslots: the command queue (GITS_CBASER), the
// device and collection tables (GITS_BASERn: vgic_its_check_id refuses an ID whose entry has no
// memslot, so MAPD/MAPC fail without one), each device's ITT (MAPD), the redistributors'
// property and pending tables (GICR_PROPBASER/PENDBASER) and whatever the trace's mem-write
// events store. The runner's own memory stays in gigabytes none of these touch.

import { EventKind, Frame, TraceEvent, UserGroup } from '../../trace/events';

export interface MemRegion {
  base: bigint;
  size: bigint;
}

/** Memslot granule: 64 KiB (the largest ITS page size), so every table page lies in one slot. */
const GRANULE = 0x10000n;
/** Ranges closer than this are one memslot (fewer slots; the gap is never touched). */
const MERGE_GAP = 0x200000n;
/** The runner's limit (MAX_MEMS in tools/kvm/runner.c). */
export const MAX_MEM_REGIONS = 32;

const bits = (v: bigint, hi: number, lo: number): bigint => (v >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);

/** GITS_BASERn's page size field (KVM: 4K, 16K, 64K; 3 reads as 64K). */
const BASER_PAGE = [0x1000n, 0x4000n, 0x10000n, 0x10000n];
/** An ITT entry in KVM's ABI revision 0 (ABI_0_ESZ). */
const ITE_BYTES = 8n;
/** KVM's LPI and EventID width (INTERRUPT_ID_BITS_ITS, VITS_TYPER_IDBITS): larger fields are capped or refused. */
const ID_BITS = 16;
/** KVM's default IPA space (40 bits): a memslot above it cannot exist. */
const IPA_LIMIT = 1n << 40n;

/** Which 64-bit table register an ITS-frame or redistributor offset is (with its low/high half). */
function tableReg(frame: 'its' | 'rd', offset: number): { key: string; hi: boolean } | undefined {
  const at = (o: number, name: string): { key: string; hi: boolean } | undefined => (offset === o ? { key: name, hi: false } : offset === o + 4 ? { key: name, hi: true } : undefined);
  if (frame === 'its') {
    const cb = at(0x80, 'CBASER');
    if (cb) return cb;
    for (let n = 0; n < 8; n++) {
      const b = at(0x100 + 8 * n, 'BASER');
      if (b) return b;
    }
    return undefined;
  }
  return at(0x70, 'PROPBASER') ?? at(0x78, 'PENDBASER');
}

/** The range one table register's value describes, or none (invalid, or not a table). */
function tableRange(key: string, v: bigint, idbits: number): [bigint, bigint] | undefined {
  switch (key) {
    case 'CBASER':
      return bits(v, 63, 63) ? [bits(v, 51, 12) << 12n, (bits(v, 7, 0) + 1n) * 0x1000n] : undefined;
    case 'BASER': {
      if (!bits(v, 63, 63) || bits(v, 58, 56) === 0n) return undefined;
      const page = BASER_PAGE[Number(bits(v, 9, 8))];
      return [bits(v, 47, 12) << 12n, (bits(v, 7, 0) + 1n) * page];
    }
    case 'PROPBASER': {
      const n = Math.min(Number(bits(v, 4, 0)) + 1, ID_BITS);
      const size = (1n << BigInt(n)) - 8192n;
      return [bits(v, 51, 12) << 12n, size > 0n ? size : 0x1000n];
    }
    case 'PENDBASER':
      return [bits(v, 51, 16) << 16n, (1n << BigInt(idbits)) / 8n];
  }
  return undefined;
}

/** MAPD (opcode 0x08) commands in a mem-write: the ITT each valid one maps. */
function mappedItts(data: Uint8Array): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  if (data.length % 32 !== 0) return out;
  const dw = (o: number): bigint => {
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(data[o + i]);
    return v;
  };
  for (let o = 0; o < data.length; o += 32) {
    if (data[o] !== 0x08) continue;
    const d2 = dw(o + 16);
    if (!bits(d2, 63, 63)) continue;
    const eventBits = Math.min(Number(bits(dw(o + 8), 4, 0)) + 1, ID_BITS);
    out.push([bits(d2, 51, 8) << 8n, (1n << BigInt(eventBits)) * ITE_BYTES]);
  }
  return out;
}

/**
 * The memslots a trace needs: every range above rounded out to 64 KiB, merged, with the GIC's
 * own frames (`avoid`: KVM must keep seeing them as MMIO) and anything above the IPA space cut
 * out. Empty for a trace that touches no ITS memory (its job is what it was before).
 */
export function itsMemoryRegions(events: readonly TraceEvent[], avoid: readonly MemRegion[]): MemRegion[] {
  const ranges: [bigint, bigint][] = [];
  const regs = new Map<string, bigint>();
  let idbits = 16;
  const write = (frame: 'its' | 'rd', scope: string, offset: number, size: number, value: bigint): void => {
    const r = tableReg(frame, offset);
    if (!r) return;
    const key = `${scope}:${r.key}:${offset & ~7}`;
    let v = regs.get(key) ?? 0n;
    if (size === 8) v = value;
    else if (size === 4) v = r.hi ? (v & 0xffffffffn) | ((value & 0xffffffffn) << 32n) : (v & ~0xffffffffn) | (value & 0xffffffffn);
    else return;
    regs.set(key, v);
    if (r.key === 'PROPBASER') idbits = Math.max(idbits, Math.min(Number(bits(v, 4, 0)) + 1, ID_BITS));
    const range = tableRange(r.key, v, idbits);
    if (range && range[1] > 0n) ranges.push(range);
  };
  for (const ev of events) {
    if (ev.kind === EventKind.MemWrite) {
      ranges.push([ev.addr, BigInt(ev.data.length)], ...mappedItts(ev.data));
    } else if (ev.kind === EventKind.MmioWrite && ev.frame === Frame.Its) {
      write('its', 'its', ev.offset, ev.size, ev.value);
    } else if (ev.kind === EventKind.MmioWrite && ev.frame === Frame.RedistRd) {
      write('rd', `rd${ev.index}`, ev.offset, ev.size, ev.value);
    } else if (ev.kind === EventKind.UserWrite && ev.group === UserGroup.ItsRegs) {
      write('its', 'its', ev.offset, ev.size, ev.value);
    } else if (ev.kind === EventKind.UserWrite && ev.group === UserGroup.RedistRegs) {
      write('rd', `rd${ev.cpu ?? 0}`, ev.offset, ev.size, ev.value);
    }
  }
  const rounded = ranges
    .map(([b, s]): [bigint, bigint] => [b & ~(GRANULE - 1n), (b + s + GRANULE - 1n) & ~(GRANULE - 1n)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let out: MemRegion[] = [];
  for (const [b, e] of rounded) {
    const last = out[out.length - 1];
    if (last && b <= last.base + last.size + MERGE_GAP) {
      if (e > last.base + last.size) last.size = e - last.base;
    } else out.push({ base: b, size: e - b });
  }
  // Never more slots than the runner has: merge across the smallest gaps first.
  while (out.length > MAX_MEM_REGIONS) {
    let k = 0;
    for (let i = 1; i < out.length - 1; i++) if (out[i + 1].base - (out[i].base + out[i].size) < out[k + 1].base - (out[k].base + out[k].size)) k = i;
    out.splice(k, 2, { base: out[k].base, size: out[k + 1].base + out[k + 1].size - out[k].base });
  }
  for (const f of avoid) out = out.flatMap((r) => cut(r, f.base & ~(GRANULE - 1n), (f.base + f.size + GRANULE - 1n) & ~(GRANULE - 1n)));
  return out.flatMap((r) => cut(r, IPA_LIMIT, 1n << 64n));
}

/** r without [b, e). */
function cut(r: MemRegion, b: bigint, e: bigint): MemRegion[] {
  const end = r.base + r.size;
  if (e <= r.base || b >= end) return [r];
  const parts: MemRegion[] = [];
  if (b > r.base) parts.push({ base: r.base, size: b - r.base });
  if (e < end) parts.push({ base: e, size: end - e });
  return parts;
}
