// JUnit XML for CI systems: one test case per (trace × policy), one more per obsolete golden so
// a red run never shows all-green (jest-html-reporters #246). Hand-written; escaping below.

import { CheckReport } from './results';
import { renderPair, unreadableConsequence } from './report';

export function xmlEscape(s: string): string {
  // XML 1.0 forbids most control characters even escaped: replace them visibly.
  return s
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function renderJunit(rep: CheckReport): string {
  const cases: string[] = [];
  let failures = 0;
  let errors = 0;
  for (const r of rep.results) {
    const name = `${xmlEscape(r.policy)}`;
    const cls = `gicreplay.${xmlEscape(r.trace)}`;
    let inner = '';
    if (r.status === 'error') {
      errors++;
      inner = `<error message="${xmlEscape(r.message ?? 'bad input')}" type="error">${xmlEscape(renderPair(r).join('\n'))}</error>`;
    } else if (r.status !== 'match') {
      failures++;
      inner = `<failure message="${xmlEscape(`${r.status}: ${r.message ?? ''}`)}" type="${r.status}">${xmlEscape(renderPair(r).join('\n'))}</failure>`;
    }
    cases.push(`    <testcase classname="${cls}" name="${name}" file="${xmlEscape(r.golden)}">${inner}</testcase>`);
  }
  for (const o of rep.obsolete) {
    failures++;
    cases.push(`    <testcase classname="gicreplay.obsolete" name="${xmlEscape(o.golden)}"><failure message="${xmlEscape(`obsolete: ${o.reason}`)}" type="obsolete"/></testcase>`);
  }
  for (const i of rep.invariants ?? []) {
    if (!i.ok) failures++;
    const inner = i.ok ? '' : `<failure message="${xmlEscape(i.message)}" type="invariant"/>`;
    cases.push(`    <testcase classname="gicreplay.invariant.${xmlEscape(i.trace)}" name="${xmlEscape(`${i.policies[0]} ${i.expect} ${i.policies[1]}`)}">${inner}</testcase>`);
  }
  for (const x of rep.leftovers ?? []) {
    failures++;
    cases.push(`    <testcase classname="gicreplay.leftover" name="${xmlEscape(x.file)}"><failure message="${xmlEscape(`leftover: ${x.reason}`)}" type="leftover"/></testcase>`);
  }
  for (const u of rep.manifest.unreadable ?? []) {
    errors++;
    cases.push(`    <testcase classname="gicreplay.unreadable" name="${xmlEscape(`traces/${u.path}`)}"><error message="${xmlEscape(`${u.reason}; ${unreadableConsequence(u.path)}`)}" type="unreadable"/></testcase>`);
  }
  if (rep.results.length === 0 && !rep.shard) {
    errors++;
    cases.push(`    <testcase classname="gicreplay" name="suite"><error message="${xmlEscape(rep.verdict.summary)}" type="empty"/></testcase>`);
  }
  const tests = cases.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="gicreplay check" tests="${tests}" failures="${failures}" errors="${errors}">`,
    `  <testsuite name="gicreplay golden${rep.shard ? ` shard ${rep.shard.index}/${rep.shard.count}` : ''}" tests="${tests}" failures="${failures}" errors="${errors}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
