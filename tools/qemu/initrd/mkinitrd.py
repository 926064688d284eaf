#!/usr/bin/env python3
"""Writes a gzip'd cpio (newc) initramfs: /init (a static ELF), /dev, and the given files at /.
Deterministic: fixed mtimes, uid/gid 0, inode numbers in order, gzip with mtime 0.
usage: mkinitrd.py OUT INIT [FILE...]"""
import gzip, os, sys

def entry(name, mode, data, ino):
    hdr = '070701' + ''.join('%08x' % v for v in (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0))
    out = hdr.encode() + name.encode() + b'\0'
    out += b'\0' * (-len(out) % 4) + data
    return out + b'\0' * (-len(out) % 4)

out, init, files = sys.argv[1], sys.argv[2], sys.argv[3:]
parts = [entry('dev', 0o040755, b'', 1), entry('init', 0o100755, open(init, 'rb').read(), 2)]
for i, f in enumerate(files):
    parts.append(entry(os.path.basename(f), 0o100644, open(f, 'rb').read(), 3 + i))
parts.append(entry('TRAILER!!!', 0, b'', 0))
tmp = out + '.tmp'
with open(tmp, 'wb') as fh:
    fh.write(gzip.compress(b''.join(parts), mtime=0))
os.replace(tmp, out)
