// ConsultLog: the answers a model got from its policy, put again to another policy. The replay
// side (one replay standing for the policies that agree with it) is engine/golden/share.test.ts.

import { ConsultLog } from './consults';
import { getPolicy, parsePolicy, Policy } from './policy';

const rev3 = getPolicy('rev3');

/** rev3 with some of its data changed, under another id. */
function variant(id: string, change: Record<string, unknown>): Policy {
  const { $schema: _s, ...data } = JSON.parse(JSON.stringify(rev3.data)) as Record<string, unknown>;
  return parsePolicy({ ...data, id, title: id, source: 'test', ...change }, `${id}.json`);
}

describe('ConsultLog', () => {
  it('answers as the policy it wraps, and keeps identities (one proxy per object)', () => {
    const p = new ConsultLog().wrap(rev3);
    expect(p.defaultRevision).toBe(3);
    expect(p.id).toBe('rev3');
    expect(p.host.priBits).toBe(5);
    expect(p.host).toBe(p.host);
    expect(p.guestGroupWriteHonoured).toBe(p.guestGroupWriteHonoured);
    expect(p.guestGroupWriteHonoured(1)).toBe(false);
    expect(p.userGroupWriteHonoured(2, 3, false)).toBe(true);
    expect(p.host.cpuifTraps.includes('group0')).toBe(false);
  });

  it('a log that asked nothing agrees with any policy', () => {
    const log = new ConsultLog();
    log.wrap(rev3);
    expect(log.size).toBe(0);
    expect(log.agrees(getPolicy('rev1'))).toBe(true);
  });

  it('a value read: the revision tells rev3 from rev2 but not from mainline-rev3', () => {
    const log = new ConsultLog();
    expect(log.wrap(rev3).defaultRevision).toBe(3);
    expect(log.agrees(getPolicy('mainline-rev3'))).toBe(true);
    expect(log.agrees(getPolicy('rev2'))).toBe(false);
  });

  it('a method call is a question with its arguments: rev3 and mainline-rev3 agree on a guest write at revision 3, not at revision 1', () => {
    const at3 = new ConsultLog();
    expect(at3.wrap(rev3).guestGroupWriteHonoured(3)).toBe(true);
    expect(at3.agrees(getPolicy('mainline-rev3'))).toBe(true);
    const at1 = new ConsultLog();
    expect(at1.wrap(rev3).guestGroupWriteHonoured(1)).toBe(false);
    // mainline-rev3 honours guest group writes at any revision (minRevision 0).
    expect(at1.agrees(getPolicy('mainline-rev3'))).toBe(false);
    expect(at1.agrees(getPolicy('rev2'))).toBe(true);
  });

  it('a field read inside a method counts only through the method’s answer', () => {
    const log = new ConsultLog();
    log.wrap(rev3).userGroupWriteHonoured(3, 3, false);
    // Another v2 rule does not matter to a GICv3 question; another v3 rule does.
    expect(log.agrees(variant('v2-strict', { userGroupWrites: { v2: { minRevision: 4 }, v3: rev3.data.userGroupWrites.v3 } }))).toBe(true);
    expect(log.agrees(variant('v3-strict', { userGroupWrites: { v2: rev3.data.userGroupWrites.v2, v3: { minRevision: 4 } } }))).toBe(false);
  });

  it('a nested value: another host answers differently', () => {
    const log = new ConsultLog();
    expect(log.wrap(rev3).host.listRegisters).toBe(4);
    expect(log.agrees(variant('lr16', { host: { listRegisters: 16 } }))).toBe(false);
    expect(log.agrees(variant('pri7', { host: { priBits: 7 } }))).toBe(true);
  });

  it.each([
    ['enumerates the policy', (p: Policy) => Object.keys(p)],
    ['enumerates its host', (p: Policy) => ({ ...p.host })],
    ['asks whether it has a field', (p: Policy) => 'kernel' in p],
    ['writes to it', (p: Policy) => Reflect.set(p.host, 'priBits', 7)],
  ])('a model that %s gets an opaque log, which stands for no other policy (not even the same one)', (_what, use) => {
    const log = new ConsultLog();
    use(log.wrap(rev3));
    expect(log.opaque).not.toBeNull();
    expect(log.agrees(rev3)).toBe(false);
  });

  it('two questions never share a key: arguments holding the separator, symbols with one description', () => {
    const both = (...a: string[]) => a.length > 0;
    const log = new ConsultLog();
    const p = log.wrap({ ...rev3, f: both } as unknown as Policy) as unknown as { f: (...a: string[]) => boolean };
    expect(p.f('x', 'y')).toBe(true);
    expect(p.f('x,string:y')).toBe(true);
    expect(log.size).toBe(2);
    const oneArgOnly = { ...rev3, f: (...a: string[]) => a.length === 2 } as unknown as Policy;
    expect(log.agrees(oneArgOnly)).toBe(false);
    const s1 = Symbol('k');
    const s2 = Symbol('k');
    const sym = new ConsultLog();
    const q = sym.wrap({ ...rev3, [s1]: 1, [s2]: 1 } as unknown as Policy) as unknown as Record<symbol, number>;
    expect(q[s1] + q[s2]).toBe(2);
    expect(sym.agrees({ ...rev3, [s1]: 1, [s2]: 2 } as unknown as Policy)).toBe(false);
    expect(sym.agrees({ ...rev3, [s1]: 1, [s2]: 1 } as unknown as Policy)).toBe(true);
  });

  it('a question answered two ways (a method with state) makes the log opaque', () => {
    let calls = 0;
    const stateful = { ...rev3, guestGroupWriteHonoured: () => ++calls > 1 } as unknown as Policy;
    const log = new ConsultLog();
    const p = log.wrap(stateful);
    expect(p.guestGroupWriteHonoured(3)).toBe(false);
    expect(log.opaque).toBeNull();
    expect(p.guestGroupWriteHonoured(3)).toBe(true);
    expect(log.opaque).toContain('two ways');
    expect(log.agrees(stateful)).toBe(false);
  });
});
