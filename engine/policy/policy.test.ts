import Ajv from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import { builtinPolicies, getPolicy, parsePolicy, BUILTIN_POLICY_IDS } from './policy';
import { InputError } from '../errors';

describe('built-in IIDR policies (policies.md table)', () => {
  it('ships the five policy IDs in their documented order', () => {
    expect(builtinPolicies().map((p) => p.id)).toEqual(['rev3', 'rev2', 'rev1', 'rev1-iidr-only', 'mainline-rev3']);
    expect(BUILTIN_POLICY_IDS).toHaveLength(5);
  });

  it.each([
    ['rev3', 3],
    ['rev2', 2],
    ['rev1', 1],
    ['rev1-iidr-only', 1],
    ['mainline-rev3', 3],
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

  it('digests differ between policies and are stable', () => {
    const d = builtinPolicies().map((p) => p.digest);
    expect(new Set(d).size).toBe(5);
    expect(getPolicy('rev3').digest).toMatch(/^[0-9a-f]{64}$/);
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
    const validate = new Ajv({ strict: true }).compile(JSON.parse(fs.readFileSync(path.join(__dirname, 'policy.schema.json'), 'utf8')));
    for (const id of BUILTIN_POLICY_IDS) {
      const json = JSON.parse(fs.readFileSync(path.join(__dirname, 'builtin', `${id}.json`), 'utf8'));
      expect([id, json.$schema, validate(json)]).toEqual([id, '../policy.schema.json', true]);
    }
  });

  it('refusals name the file, the field and what was expected', () => {
    expect(message({ ...base, revision: 16 })).toBe('my.json: policy field revision is 16 (expected an integer 0..15)');
    expect(message({ ...base, userSelectableRevisions: [1, 'x'] })).toBe('my.json: policy field userSelectableRevisions[1] is "x" (expected an integer 0..15)');
    expect(message({ ...base, userGroupWrites: { v2: { minRevision: 1, requireUserIidrWrite: 'yes' }, v3: { minRevision: 1 } } })).toBe('my.json: policy field userGroupWrites.v2.requireUserIidrWrite is "yes" (expected true or false)');
    expect(message({ ...base, userGroupWrites: { v2: { minRevision: 1 } } })).toMatch(/^my\.json: policy field userGroupWrites\.v3 is missing \(expected \{"minRevision": N, "requireUserIidrWrite": true\|false\} for GICv3\)$/);
    expect(message({ ...base, host: { priBits: 5, bogus: 1 } })).toBe('my.json: unknown policy field "host.bogus" (expected one of priBits, preBits, idBits, seis, a3v, gicvIidr)');
    expect(message({ ...base, gicrLpiInvalidation: 'x' })).toMatch(/^my\.json: policy field gicrLpiInvalidation is "x" \(expected one of "registered"/);
    expect(message({ ...base, id: 'Bad ID' })).toMatch(/^my\.json: policy field id is "Bad ID" \(expected lower-case letters/);
    expect(message([1])).toMatch(/^my\.json: policy file is not a JSON object/);
  });
});
