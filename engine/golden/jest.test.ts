// The Jest matcher: same golden files and rules as check/bless (never writes outside a bless).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getPolicy } from '../policy/policy';
import { replayEvents } from '../replay/replay';
import { ReplayRecord } from '../replay/records';
import { readLedger } from './ledger';
import { blessHint, goldenMatchers, installGoldenMatcher, matchGolden, matcherConfigFromEnv } from './jest';
import { bootEvents, fake, FakeBehaviour, header } from './testing/project';

function records(b: FakeBehaviour = {}): ReplayRecord[] {
  const out: ReplayRecord[] = [];
  replayEvents(header(), bootEvents(), { policy: getPolicy('rev3'), ...fake(b) }, (r) => out.push(r));
  return out;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-matcher-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const check = matcherConfigFromEnv({});
const blessing = matcherConfigFromEnv({ GICREPLAY_BLESS_REASON: 'first boot golden' });

test('a missing golden fails and is not written; a bless run writes it and ledgers the reason', () => {
  const file = path.join(dir, 'boot.golden');
  const gic = header().gic;
  const miss = matchGolden(records(), file, { gic }, check);
  expect(miss.pass).toBe(false);
  expect(miss.message()).toContain('GICREPLAY_BLESS_REASON');
  expect(fs.existsSync(file)).toBe(false);
  expect(matchGolden(records(), file, { gic }, matcherConfigFromEnv({ GICREPLAY_BLESS_REASON: 'x', CI: 'true' })).pass).toBe(false);
  expect(fs.existsSync(file)).toBe(false);
  expect(matchGolden(records(), file, { gic }, blessing).pass).toBe(true);
  expect(readLedger(dir)[0]).toMatchObject({ golden: 'boot.golden', action: 'create', reason: 'first boot golden' });
  expect(matchGolden(records(), file, { gic }, check).pass).toBe(true);
});

test('a model change fails with the drift report; a hand edit is caught', () => {
  const file = path.join(dir, 'boot.golden');
  const gic = header().gic;
  matchGolden(records(), file, { gic }, blessing);
  const r = matchGolden(records({ ctlrClear: 0x40n }), file, { gic }, check);
  expect(r.pass).toBe(false);
  expect(r.message()).toContain('read GICD_CTLR 0x52 → 0x12 (DS 1 → 0)');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('0x52', '0x50'));
  expect(matchGolden(records(), file, { gic }, check).message()).toContain('edited by hand');
});

test('registers as a Jest matcher', () => {
  installGoldenMatcher();
  const file = path.join(dir, 'x.golden');
  expect(() => expect(records()).toMatchGolden(file)).toThrow(/no golden at/);
  // The hint re-runs exactly this test (tools/package/package.test.ts pastes one and runs it).
  expect(() => expect(records()).toMatchGolden(file)).toThrow(`GICREPLAY_BLESS_REASON="why it is right" npx jest ${path.relative(process.cwd(), __filename).split(path.sep).join('/')} -t '^registers as a Jest matcher$'`);
  expect(typeof goldenMatchers.toMatchGolden).toBe('function');
});

test('the bless hint names the test file and the test, quoted for a shell and escaped for Jest\'s patterns', () => {
  expect(blessHint({ testPath: '/p/test/a (1).test.js', testName: "it's [v3] boot", cwd: '/p' })).toBe(`GICREPLAY_BLESS_REASON="why it is right" npx jest 'test/a \\(1\\).test.js' -t '^it'\\''s \\[v3\\] boot$'`);
  expect(blessHint({})).toBe('GICREPLAY_BLESS_REASON="why it is right" npx jest');
});
