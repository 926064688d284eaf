import Ajv from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import { builtinPolicies, getPolicy, onHost, parsePolicy, policyForTrace, BUILTIN_POLICY_IDS, TRACE_TRAPS_DETAIL } from './policy';
import { InputError } from '../errors';

describe('built-in IIDR policies (policies.md table)', () => {
  it('ships the five IIDR policies and the two kernel policies in their documented order', () => {
    expect(builtinPolicies().map((p) => p.id)).toEqual(['rev3', 'rev2', 'rev1', 'rev1-iidr-only', 'mainline-rev3', 'linux-6.1', 'linux-6.12']);
    expect(BUILTIN_POLICY_IDS).toHaveLength(7);
  });

  it.each([
    ['rev3', 3],
    ['rev2', 2],
    ['rev1', 1],
    ['rev1-iidr-only', 1],
    ['mainline-rev3', 3],
    ['linux-6.1', 3],
    ['linux-6.12', 3],
  ])('%s reports revision %d', (id, rev) => {
    expect(getPolicy(id).defaultRevision).toBe(rev);
  });

  it('guest IGROUPR writes: dropped only by rev1 at revision 1', () => {
    expect(getPolicy('rev1').guestGroupWriteHonoured(1)).toBe(false);
    expect(getPolicy('rev1-iidr-only').guestGroupWriteHonoured(1)).toBe(true);
    for (const id of ['rev3', 'rev2', 'mainline-rev3']) expect(getPolicy(id).guestGroupWriteHonoured(getPolicy(id).defaultRevision)).toBe(true);
  });

  it('userspace IGROUPR writes follow the table, per GIC version', () => {
    const p = (id: string) => getPolicy(id);
    // rev3/rev2: honoured without any IIDR write (posted series removes v2_groups_user_writable)
    expect(p('rev3').userGroupWriteHonoured(2, 3, false)).toBe(true);
    expect(p('rev2').userGroupWriteHonoured(2, 2, false)).toBe(true);
    // rev1: dropped on both
    expect(p('rev1').userGroupWriteHonoured(2, 1, true)).toBe(false);
    expect(p('rev1').userGroupWriteHonoured(3, 1, true)).toBe(false);
    // rev1-iidr-only: v2 dropped (revision < 2), v3 honoured
    expect(p('rev1-iidr-only').userGroupWriteHonoured(2, 1, true)).toBe(false);
    expect(p('rev1-iidr-only').userGroupWriteHonoured(3, 1, false)).toBe(true);
    // mainline: v2 dropped until userspace wrote GICD_IIDR, v3 honoured
    expect(p('mainline-rev3').userGroupWriteHonoured(2, 3, false)).toBe(false);
    expect(p('mainline-rev3').userGroupWriteHonoured(2, 3, true)).toBe(true);
    expect(p('mainline-rev3').userGroupWriteHonoured(3, 3, false)).toBe(true);
  });

  it('GICR_CTLR.{IR,CES} only from revision 3', () => {
    expect(getPolicy('rev3').gicrCtlrAdvertisesIrCes(3)).toBe(true);
    expect(getPolicy('rev2').gicrCtlrAdvertisesIrCes(2)).toBe(false);
    expect(getPolicy('rev1-iidr-only').gicrCtlrAdvertisesIrCes(1)).toBe(false);
  });

  it('mainline accepts only revisions 2 and 3 from userspace; the series also accepts 1', () => {
    expect(getPolicy('mainline-rev3').userMaySelectRevision(1)).toBe(false);
    expect(getPolicy('rev3').userMaySelectRevision(1)).toBe(true);
  });

  it('digests differ between policies that behave differently and are stable', () => {
    const d = builtinPolicies().map((p) => p.digest);
    // linux-6.1 and linux-6.12 behave the same (measured: the suite on both kernels is identical).
    expect(new Set(d).size).toBe(6);
    expect(getPolicy('linux-6.1').digest).toBe(getPolicy('linux-6.12').digest);
    expect(getPolicy('rev3').digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the kernel switches: mainline by default, 6.1 and 6.12 without the DIR trap and pre-init IIDR', () => {
    for (const id of ['rev3', 'rev2', 'rev1', 'rev1-iidr-only', 'mainline-rev3']) expect(getPolicy(id).kernel).toEqual({ dirDeactivatesOtherVcpus: true, distRegsBeforeInit: 'iidr-typer2', lrOverflow: 'pending-first' });
    for (const id of ['linux-6.1', 'linux-6.12']) expect(getPolicy(id).kernel).toEqual({ dirDeactivatesOtherVcpus: false, distRegsBeforeInit: 'none', lrOverflow: 'active-first' });
    // Apart from the kernel block, a kernel policy is mainline-rev3.
    const { id: _a, title: _b, source: _c, kernel: _k, ...k61 } = getPolicy('linux-6.1').data;
    const { id: _d, title: _e, source: _f, ...mainline } = getPolicy('mainline-rev3').data;
    void [_a, _b, _c, _k, _d, _e, _f];
    expect(k61).toEqual(mainline);
  });

  it('a kernel block that spells out mainline is mainline: same digest', () => {
    const spelled = parsePolicy({ ...getPolicy('rev3').data, id: 'rev3-spelled', kernel: { dirDeactivatesOtherVcpus: true, distRegsBeforeInit: 'iidr-typer2', lrOverflow: 'pending-first' } }, 'x.json');
    expect(spelled.digest).toBe(getPolicy('rev3').digest);
    const half = parsePolicy({ ...getPolicy('rev3').data, id: 'rev3-old-dir', kernel: { dirDeactivatesOtherVcpus: false } }, 'x.json');
    expect(half.digest).not.toBe(getPolicy('rev3').digest);
    expect(half.kernel).toEqual({ dirDeactivatesOtherVcpus: false, distRegsBeforeInit: 'iidr-typer2', lrOverflow: 'pending-first' });
  });

  it('host.listRegisters: 4 by default (QEMU GICv3/GICv2, GIC-500/600), 1..64 or "unlimited", its default spelled out is the same digest', () => {
    expect(getPolicy('rev3').host.listRegisters).toBe(4);
    const four = parsePolicy({ ...getPolicy('rev3').data, id: 'lr4', host: { listRegisters: 4 } }, 'x.json');
    expect(four.digest).toBe(getPolicy('rev3').digest);
    const sixteen = parsePolicy({ ...getPolicy('rev3').data, id: 'lr16', host: { listRegisters: 16 } }, 'x.json');
    expect(sixteen.digest).not.toBe(getPolicy('rev3').digest);
    expect(parsePolicy({ ...getPolicy('rev3').data, id: 'lr-u', host: { listRegisters: 'unlimited' } }, 'x.json').host.listRegisters).toBe('unlimited');
    for (const bad of [0, 65, 2.5, 'many']) {
      expect(() => parsePolicy({ ...getPolicy('rev3').data, id: 'lr-bad', host: { listRegisters: bad } }, 'x.json')).toThrow(/host\.listRegisters/);
    }
  });
});

describe('the host\'s CPU-interface traps and VMCR (host.cpuifTraps, host.vmcrPmr)', () => {
  it('default: no traps, hardware VMCR; spelled out they are the same digest, set they are another', () => {
    expect(getPolicy('linux-6.1').host.cpuifTraps).toEqual([]);
    expect(getPolicy('linux-6.1').host.vmcrPmr).toBe('implemented');
    const spelled = parsePolicy({ ...getPolicy('rev3').data, id: 'sp', host: { cpuifTraps: [], vmcrPmr: 'implemented' } }, 'x.json');
    expect(spelled.digest).toBe(getPolicy('rev3').digest);
    const trapped = parsePolicy({ ...getPolicy('rev3').data, id: 'tr', host: { cpuifTraps: ['common', 'group1', 'group0'] } }, 'x.json');
    expect(trapped.host.cpuifTraps).toEqual(['group0', 'group1', 'common']);
    expect(trapped.digest).not.toBe(getPolicy('rev3').digest);
    expect(() => parsePolicy({ ...getPolicy('rev3').data, id: 'bad', host: { cpuifTraps: ['all'] } }, 'x.json')).toThrow(/host\.cpuifTraps/);
    expect(() => parsePolicy({ ...getPolicy('rev3').data, id: 'bad', host: { vmcrPmr: 8 } }, 'x.json')).toThrow(/host\.vmcrPmr/);
  });

  it('a trace names the traps of the host it was recorded on; a policy that names its own wins', () => {
    const p = getPolicy('linux-6.1');
    expect(policyForTrace(p, {})).toBe(p);
    expect(policyForTrace(p, { [TRACE_TRAPS_DETAIL]: 'group0,common' }).host.cpuifTraps).toEqual(['group0', 'common']);
    const own = onHost(p, { cpuifTraps: [] });
    expect(policyForTrace(own, { [TRACE_TRAPS_DETAIL]: 'group0,group1,common' })).toBe(own);
    expect(() => policyForTrace(p, { [TRACE_TRAPS_DETAIL]: 'group0,tc' })).toThrow(/host\.cpuifTraps names "tc".*group0, group1, common/);
  });
});

describe('policy files', () => {
  const base = { schema: 1, id: 'vendor-x', title: 't', source: 's', revision: 2, userSelectableRevisions: [2, 3], guestGroupWrites: { minRevision: 0 }, userGroupWrites: { v2: { minRevision: 2 }, v3: { minRevision: 0 } }, gicrCtlrIrCes: { minRevision: 3 } };

  it('accepts a user policy', () => {
    expect(parsePolicy(base, 'x.json').id).toBe('vendor-x');
  });

  it('rejects unknown fields, wrong schema and bad revisions with the file named', () => {
    expect(() => parsePolicy({ ...base, bogus: 1 }, 'x.json')).toThrow(/x\.json: unknown policy field "bogus"/);
    expect(() => parsePolicy({ ...base, schema: 2 }, 'x.json')).toThrow(InputError);
    expect(() => parsePolicy({ ...base, revision: 'three' }, 'x.json')).toThrow(/revision/);
  });
});

describe('the published JSON Schema (policy.schema.json)', () => {
  const base = JSON.parse(fs.readFileSync(path.join(__dirname, 'builtin', 'rev3.json'), 'utf8'));
  const message = (o: unknown) => {
    try {
      parsePolicy(o, 'my.json');
      return 'valid';
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as Error).message;
    }
  };

  it('every built-in policy names the schema and satisfies it (what an editor checks)', () => {
    const validate = new Ajv({ strict: true, strictRequired: false }) // the fields required without "extends" sit in if/then, which strictRequired does not see through
     .compile(JSON.parse(fs.readFileSync(path.join(__dirname, 'policy.schema.json'), 'utf8')));
    for (const id of BUILTIN_POLICY_IDS) {
      const json = JSON.parse(fs.readFileSync(path.join(__dirname, 'builtin', `${id}.json`), 'utf8'));
      expect([id, json.$schema, validate(json)]).toEqual([id, '../policy.schema.json', true]);
    }
  });

  it('the built-ins, loaded without the schema check (start-up), are the policies the checked parse gives', () => {
    for (const id of BUILTIN_POLICY_IDS) {
      const file = path.join(__dirname, 'builtin', `${id}.json`);
      const checked = parsePolicy(JSON.parse(fs.readFileSync(file, 'utf8')), file);
      expect({ id, digest: getPolicy(id).digest, data: getPolicy(id).data }).toEqual({ id, digest: checked.digest, data: checked.data });
    }
  });

  it('refusals name the file, the field and what was expected', () => {
    expect(message({ ...base, revision: 16 })).toBe('my.json: policy field revision is 16 (expected an integer 0..15)');
    expect(message({ ...base, userSelectableRevisions: [1, 'x'] })).toBe('my.json: policy field userSelectableRevisions[1] is "x" (expected an integer 0..15)');
    expect(message({ ...base, userGroupWrites: { v2: { minRevision: 1, requireUserIidrWrite: 'yes' }, v3: { minRevision: 1 } } })).toBe('my.json: policy field userGroupWrites.v2.requireUserIidrWrite is "yes" (expected true or false)');
    expect(message({ ...base, userGroupWrites: { v2: { minRevision: 1 } } })).toMatch(/^my\.json: policy field userGroupWrites\.v3 is missing \(expected \{"minRevision": N, "requireUserIidrWrite": true\|false\} for GICv3\)$/);
    expect(message({ ...base, host: { priBits: 5, bogus: 1 } })).toBe('my.json: unknown policy field "host.bogus" (expected one of priBits, preBits, idBits, seis, a3v, gicvIidr, listRegisters, cpuifTraps, vmcrPmr)');
    expect(message({ ...base, gicrLpiInvalidation: 'x' })).toMatch(/^my\.json: policy field gicrLpiInvalidation is "x" \(expected one of "registered"/);
    expect(message({ ...base, id: 'Bad ID' })).toMatch(/^my\.json: policy field id is "Bad ID" \(expected lower-case letters/);
    expect(message([1])).toMatch(/^my\.json: policy file is not a JSON object/);
  });
});

describe('the policy digest covers behaviour only', () => {
  const rev3 = () => JSON.parse(fs.readFileSync(path.join(__dirname, 'builtin', 'rev3.json'), 'utf8'));

  it('title, source, $schema and the ID do not change it; a rule does', () => {
    const base = parsePolicy({ ...rev3(), id: 'mine' }, 'mine.json').digest;
    expect(base).toBe(getPolicy('rev3').digest);
    expect(parsePolicy({ ...rev3(), id: 'mine', title: 'another title', source: 'elsewhere', $schema: 'x' }, 'mine.json').digest).toBe(base);
    expect(parsePolicy({ ...rev3(), id: 'mine', gicrCtlrIrCes: { minRevision: 4 } }, 'mine.json').digest).not.toBe(base);
  });

  it('a default left out and the same default spelled out are one behaviour', () => {
    const { gicrLpiInvalidation: _a, gicrEnableLpisClear: _b, ...short } = rev3();
    void _a;
    void _b;
    expect(parsePolicy({ ...short, id: 'short', userSelectableRevisions: [3, 2, 1] }, 's.json').digest).toBe(getPolicy('rev3').digest);
    expect(parsePolicy({ ...rev3(), id: 'host', host: { priBits: 5 } }, 'h.json').digest).toBe(getPolicy('rev3').digest);
  });
});

describe('"extends": a built-in policy plus the fields a file changes', () => {
  it('inherits every field it does not set, merges objects field by field', () => {
    const p = parsePolicy({ schema: 1, id: 'vendor', extends: 'rev3', gicrCtlrIrCes: { minRevision: 4 }, userGroupWrites: { v2: { minRevision: 3 } } }, 'vendor.json');
    expect(p.defaultRevision).toBe(3);
    expect(p.gicrCtlrAdvertisesIrCes(3)).toBe(false);
    expect(p.data.userGroupWrites).toEqual({ v2: { minRevision: 3, requireUserIidrWrite: false }, v3: { minRevision: 2, requireUserIidrWrite: false } });
    expect(p.data.title).toBe('vendor'); // the base's title and source describe the base, not this file
    expect(p.digest).toBe(parsePolicy({ ...JSON.parse(fs.readFileSync(path.join(__dirname, 'builtin', 'rev3.json'), 'utf8')), id: 'vendor', gicrCtlrIrCes: { minRevision: 4 }, userGroupWrites: { v2: { minRevision: 3, requireUserIidrWrite: false }, v3: { minRevision: 2, requireUserIidrWrite: false } } }, 'v.json').digest);
  });

  it('names only built-ins, and still checks what the merge gives', () => {
    expect(() => parsePolicy({ schema: 1, id: 'v', extends: 'rev9' }, 'v.json')).toThrow(/policy field extends is "rev9" \(expected the ID of a built-in policy: rev3, rev2/);
    expect(() => parsePolicy({ schema: 1, id: 'v', extends: 'rev3', revision: 16 }, 'v.json')).toThrow(/policy field revision is 16/);
    expect(() => parsePolicy({ schema: 1, id: 'v' }, 'v.json')).toThrow(/policy field revision is missing \(expected the implementation revision/);
  });
});
