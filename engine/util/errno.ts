// Linux errno values the KVM device-attribute and vCPU ioctls return, by name. A KVM answer is
// kept as the unsigned magnitude (22, not -22) everywhere in gicreplay; this names it for people.

const NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM',
  2: 'ENOENT',
  4: 'EINTR',
  5: 'EIO',
  6: 'ENXIO',
  7: 'E2BIG',
  12: 'ENOMEM',
  14: 'EFAULT',
  16: 'EBUSY',
  17: 'EEXIST',
  19: 'ENODEV',
  22: 'EINVAL',
  25: 'ENOTTY',
  38: 'ENOSYS',
  95: 'EOPNOTSUPP',
};

/** The errnos the vGIC's device attributes return, by name: ERRNO.EBUSY === 16. */
export const ERRNO = { EPERM: 1, ENOENT: 2, ENXIO: 6, E2BIG: 7, EFAULT: 14, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22 } as const;

/** "-EBUSY" for 16; "-errno 123" for a number without a name here. */
export function errnoName(e: number): string {
  const n = NAMES[e];
  return n ? `-${n}` : `-errno ${e}`;
}

/** The magnitude for a name ("EBUSY" or "-EBUSY"), or undefined. */
export function errnoValue(name: string): number | undefined {
  const bare = name.replace(/^-/, '');
  for (const [k, v] of Object.entries(NAMES)) if (v === bare) return Number(k);
  return undefined;
}
