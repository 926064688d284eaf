// A Linux initramfs: a cpio archive in the "newc" format (Documentation/driver-api/early-userspace/
// buffer-format.rst), written here rather than by cpio(1) so the bytes are deterministic (inode
// numbers, times and owners fixed) and no tool has to be installed.

export interface CpioEntry {
  name: string;
  /** st_mode: file type and permission bits, e.g. 0o100755 for an executable, 0o040755 for a directory. */
  mode: number;
  data?: Buffer;
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function header(ino: number, mode: number, size: number, nameLen: number): string {
  const f = (v: number): string => v.toString(16).padStart(8, '0');
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  return `070701${f(ino)}${f(mode)}${f(0)}${f(0)}${f(mode & 0o040000 ? 2 : 1)}${f(0)}${f(size)}${f(0)}${f(0)}${f(0)}${f(0)}${f(nameLen)}${f(0)}`;
}

export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const add = (ino: number, name: string, mode: number, data: Buffer): void => {
    const nameBuf = Buffer.from(`${name}\0`, 'utf8');
    const h = Buffer.from(header(ino, mode, data.length, nameBuf.length), 'ascii');
    parts.push(h, nameBuf, Buffer.alloc(pad4(h.length + nameBuf.length)), data, Buffer.alloc(pad4(data.length)));
  };
  entries.forEach((e, i) => add(i + 1, e.name, e.mode, e.data ?? Buffer.alloc(0)));
  add(0, 'TRAILER!!!', 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}
