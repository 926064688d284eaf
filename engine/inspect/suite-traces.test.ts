// Every checked-in trace passes `trace validate`'s register-level checks: a recorder (scripted
// guest, importer) that writes an access KVM cannot receive — e.g. a 64-bit device-attribute
// write to GICD_IROUTER, which KVM_{GET,SET}_DEVICE_ATTR carry as u32 — fails here, not later
// on real KVM.
import * as path from 'path';
import { findTraceFiles } from '../util/trace-files';
import { validateTrace } from './inspect';

const root = path.resolve(__dirname, '..', '..');
const traces = findTraceFiles(path.join(root, 'traces'));

test('the suite has traces to validate', () => {
  expect(traces.length).toBeGreaterThan(40);
});

test.each(traces.map((t) => [path.relative(root, t)]))('%s passes register-level validation', (rel) => {
  expect(() => validateTrace(path.join(root, rel))).not.toThrow();
});
