// Guest-physical memory as a trace carries it: the bytes mem-write events put there, plus what the
// vGIC itself wrote (saved ITS tables, consumed pending bits). KVM's vITS reads its command queue,
// its device, collection and interrupt translation tables and the LPI property and pending tables
// from guest RAM; a trace that did not carry a byte cannot say what it held, so such bytes read
// as 0 and every read reports how many bytes it could not know (`missing`).
//
// Sparse 4 KiB pages keyed by page number; a page number of a 64-bit address is below 2^52, so a
// Number holds it exactly. Nothing iterates the map, so its order never reaches any output.

const PAGE_SHIFT = 12n;
const PAGE_BYTES = 4096;
const PAGE_MASK = 0xfffn;
const ADDR_MASK = 0xffffffffffffffffn;

interface Page {
  data: Uint8Array;
  /** 1 where the trace or the vGIC wrote the byte. */
  known: Uint8Array;
}

export interface MemoryRead {
  bytes: Uint8Array;
  /** Bytes of the range nobody wrote (read as 0). */
  missing: number;
}

export class GuestMemory {
  private readonly pages = new Map<number, Page>();

  private page(n: number, create: boolean): Page | undefined {
    let p = this.pages.get(n);
    if (!p && create) {
      p = { data: new Uint8Array(PAGE_BYTES), known: new Uint8Array(PAGE_BYTES) };
      this.pages.set(n, p);
    }
    return p;
  }

  /** Store `bytes` at `addr` (addresses wrap at 2^64, as a 64-bit bus would). */
  write(addr: bigint, bytes: Uint8Array): void {
    let a = addr & ADDR_MASK;
    let done = 0;
    while (done < bytes.length) {
      const off = Number(a & PAGE_MASK);
      const n = Math.min(PAGE_BYTES - off, bytes.length - done);
      const p = this.page(Number(a >> PAGE_SHIFT), true)!;
      p.data.set(bytes.subarray(done, done + n), off);
      p.known.fill(1, off, off + n);
      done += n;
      a = (a + BigInt(n)) & ADDR_MASK;
    }
  }

  read(addr: bigint, len: number): MemoryRead {
    const out = new Uint8Array(len);
    let missing = 0;
    let a = addr & ADDR_MASK;
    let done = 0;
    while (done < len) {
      const off = Number(a & PAGE_MASK);
      const n = Math.min(PAGE_BYTES - off, len - done);
      const p = this.page(Number(a >> PAGE_SHIFT), false);
      if (!p) {
        missing += n;
      } else {
        out.set(p.data.subarray(off, off + n), done);
        for (let i = off; i < off + n; i++) if (!p.known[i]) missing++;
      }
      done += n;
      a = (a + BigInt(n)) & ADDR_MASK;
    }
    return { bytes: out, missing };
  }

  readU8(addr: bigint): { value: number; missing: boolean } {
    const r = this.read(addr, 1);
    return { value: r.bytes[0], missing: r.missing !== 0 };
  }

  /** A little-endian 64-bit word (ITS table entries and command words are little-endian). */
  readU64(addr: bigint): { value: bigint; missing: boolean } {
    const r = this.read(addr, 8);
    return { value: leU64(r.bytes, 0), missing: r.missing !== 0 };
  }
}

export function leU64(b: Uint8Array, at: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]);
  return v;
}

export function u64Le(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  for (let i = 0; i < 8; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return b;
}
