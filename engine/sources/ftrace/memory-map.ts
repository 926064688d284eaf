// Guest-physical address map of the GIC frames, to turn a kvm_mmio gpa into (frame, index,
// offset). QEMU virt's map is built in; any other VMM's comes from a small JSON file whose
// schema is documented in README.md next to this file.

import * as fs from 'fs';
import { InputError } from '../../errors';
import { Frame, GicVersion } from '../../trace/events';

export interface RedistRegion {
  base: bigint;
  /** Number of redistributors (each 2 x 64 KiB: RD_base, then SGI_base). */
  count: number;
}

export interface GicMemoryMap {
  /** Where the map came from: "virt" or the JSON file's path. */
  name: string;
  dist: bigint;
  /** GICv3: redistributor regions in index order (region 0 holds redistributors 0..count-1, and so on). */
  redist: RedistRegion[];
  /** GICv3 ITS control + translation frames (128 KiB), if the VM has one. */
  its: bigint | null;
  /** GICv2 CPU interface (8 KiB; the hardware GICV, so guest accesses never trap). */
  cpuif: bigint | null;
  /** SPIs the VMM gives the vGIC (KVM nr_spis), when the map knows it. */
  spis: number | null;
}

/** KVM's distributor frame: 4 KiB decoded on GICv2, 64 KiB on GICv3 (vgic-v2.md §2, vgic-v3.md §2.5). */
export const DIST_SIZE: Record<GicVersion, bigint> = { 2: 0x1000n, 3: 0x10000n };
export const REDIST_STRIDE = 0x20000n;
export const REDIST_SGI_OFFSET = 0x10000n;
export const ITS_SIZE = 0x20000n;
export const CPUIF_SIZE = 0x2000n;

/**
 * QEMU `virt` (hw/arm/virt.c base_memmap): GICD 0x08000000, GICC 0x08010000, ITS 0x08080000,
 * GICR 0x080A0000 (0xF60000 = 123 redistributors). NUM_IRQS = 256 SPIs. The high redistributor
 * region for vCPUs beyond 123 sits above RAM and depends on the RAM size: not built in.
 */
export function virtMap(version: GicVersion, its: boolean): GicMemoryMap {
  return {
    name: 'virt',
    dist: 0x08000000n,
    redist: version === 3 ? [{ base: 0x080a0000n, count: 123 }] : [],
    its: version === 3 && its ? 0x08080000n : null,
    cpuif: version === 2 ? 0x08010000n : null,
    spis: 256,
  };
}

export interface DecodedGpa {
  frame: Frame;
  index: number;
  offset: number;
}

/**
 * The GIC frame a guest-physical access of `len` bytes falls in, or null when it is outside
 * every frame KVM's vGIC decodes (it then went to another device or to userspace). An access
 * that straddles a frame's end is outside too: KVM's io bus matches the whole range.
 */
export function decodeGpa(map: GicMemoryMap, version: GicVersion, cpus: number, gpa: bigint, len: number): DecodedGpa | null {
  const end = gpa + BigInt(len);
  const inside = (base: bigint, size: bigint) => gpa >= base && end <= base + size;
  if (inside(map.dist, DIST_SIZE[version])) return { frame: Frame.Dist, index: 0, offset: Number(gpa - map.dist) };
  if (version === 3) {
    let first = 0;
    for (const r of map.redist) {
      if (gpa >= r.base && gpa < r.base + REDIST_STRIDE * BigInt(r.count)) {
        const slot = (gpa - r.base) / REDIST_STRIDE;
        const index = first + Number(slot);
        // KVM registers one redistributor per vCPU; slots past the last vCPU are not the vGIC's.
        if (index >= cpus) return null;
        const within = gpa - r.base - slot * REDIST_STRIDE;
        if (end > r.base + slot * REDIST_STRIDE + REDIST_STRIDE) return null;
        return within < REDIST_SGI_OFFSET
          ? { frame: Frame.RedistRd, index, offset: Number(within) }
          : { frame: Frame.RedistSgi, index, offset: Number(within - REDIST_SGI_OFFSET) };
      }
      first += r.count;
    }
    if (map.its !== null && inside(map.its, ITS_SIZE)) return { frame: Frame.Its, index: 0, offset: Number(gpa - map.its) };
  } else if (map.cpuif !== null && inside(map.cpuif, CPUIF_SIZE)) {
    return { frame: Frame.CpuIf, index: 0, offset: Number(gpa - map.cpuif) };
  }
  return null;
}

/** Index of the redistributor slot a gpa falls in, or -1 outside every redistributor region. */
export function redistIndexOf(map: GicMemoryMap, gpa: bigint): number {
  let first = 0;
  for (const r of map.redist) {
    if (gpa >= r.base && gpa < r.base + REDIST_STRIDE * BigInt(r.count)) return first + Number((gpa - r.base) / REDIST_STRIDE);
    first += r.count;
  }
  return -1;
}

/** RD_base of each vCPU's redistributor, for the trace header. */
export function redistBases(map: GicMemoryMap, cpus: number): bigint[] {
  const out: bigint[] = [];
  for (const r of map.redist) {
    for (let i = 0; i < r.count && out.length < cpus; i++) out.push(r.base + REDIST_STRIDE * BigInt(i));
  }
  return out;
}

// ---- JSON map files ----

function addr(file: string, where: string, v: unknown): bigint {
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new InputError(`memory map: ${where} is ${JSON.stringify(v)}`, { file }, 'an address as a hex string such as "0x08000000" or a non-negative integer');
}

function count(file: string, where: string, v: unknown, min: number): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= 0xffff) return v;
  throw new InputError(`memory map: ${where} is ${JSON.stringify(v)}`, { file }, `an integer from ${min} to 65535`);
}

const KNOWN_KEYS = new Set(['schema', 'name', 'dist', 'redist', 'its', 'cpuif', 'spis']);

/** Load a map from JSON (schema in README.md). The GIC version decides which frames are required. */
export function loadMapFile(file: string, version: GicVersion): GicMemoryMap {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read memory map: ${(e as Error).message}`, { file });
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new InputError(`memory map is not JSON: ${(e as Error).message}`, { file });
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new InputError('memory map is not a JSON object', { file }, 'an object with "schema": 1');
  const o = j as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KNOWN_KEYS.has(k)) throw new InputError(`memory map: unknown key "${k}"`, { file }, `only ${[...KNOWN_KEYS].join(', ')}`);
  }
  if (o.schema !== 1) throw new InputError(`memory map: schema is ${JSON.stringify(o.schema)}`, { file }, '"schema": 1');
  if (o.dist === undefined) throw new InputError('memory map: no "dist"', { file }, 'the distributor base address');
  const map: GicMemoryMap = {
    name: typeof o.name === 'string' ? o.name : file,
    dist: addr(file, '"dist"', o.dist),
    redist: [],
    its: o.its === undefined || o.its === null ? null : addr(file, '"its"', o.its),
    cpuif: o.cpuif === undefined || o.cpuif === null ? null : addr(file, '"cpuif"', o.cpuif),
    spis: o.spis === undefined ? null : count(file, '"spis"', o.spis, 0),
  };
  if (o.redist !== undefined) {
    if (!Array.isArray(o.redist)) throw new InputError('memory map: "redist" is not an array', { file }, '[{"base": "0x...", "count": N}, ...]');
    o.redist.forEach((r, i) => {
      if (typeof r !== 'object' || r === null) throw new InputError(`memory map: "redist"[${i}] is not an object`, { file }, '{"base": "0x...", "count": N}');
      const rr = r as Record<string, unknown>;
      map.redist.push({ base: addr(file, `"redist"[${i}].base`, rr.base), count: count(file, `"redist"[${i}].count`, rr.count, 1) });
    });
  }
  if (version === 3 && map.redist.length === 0) throw new InputError('memory map: a GICv3 map needs "redist"', { file }, '"redist": [{"base": "0x...", "count": N}]');
  if (map.spis !== null && (map.spis % 32 !== 0 || map.spis > 960)) throw new InputError(`memory map: "spis" is ${map.spis}`, { file }, 'a multiple of 32 up to 960 (KVM nr_irqs - 32)');
  return map;
}
