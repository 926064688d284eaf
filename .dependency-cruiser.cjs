// The layer order of gicreplay, as rules (npm run layers; `npm test` runs it, so CI does).
// engine/README.md draws the same picture. Bottom to top:
//   base      engine/errors.ts, engine/version.ts, engine/util/, engine/arch/
//   format    engine/trace/                      (a leaf: base only)
//   contract  engine/model/, engine/policy/
//   models    engine/gic/, engine/timer/
//   replay    engine/replay/
//   uses      engine/inspect/, engine/sources/, engine/golden/, engine/divergence/, engine/fidelity/, engine/guests/,
//             engine/backend/ (real KVM: replays through golden/ and inspect/ like a user of the models)
//   witnesses engine/minimize/, engine/export/    (minimal traces and reproducers: ask any of the above)
//   API       engine/index.ts
//   CLI       tools/cli/                         (engine/index.ts only)
// Tests and test kits (*.test.ts, testing/) may reach across layers; production code never
// reaches into them. tools/lint/layers.test.ts proves that every rule here bites.

const TESTS = '(\\.test\\.ts$|/testing/)';
const BASE = '^engine/(errors\\.ts|version\\.ts|util/|arch/)';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules form no cycle, type-only imports included.',
      from: { pathNot: TESTS },
      to: { circular: true },
    },
    {
      name: 'base-is-the-bottom',
      severity: 'error',
      comment: 'errors.ts, version.ts, util/ and arch/ import nothing else from engine/.',
      from: { path: BASE, pathNot: TESTS },
      to: { path: '^engine/', pathNot: BASE },
    },
    {
      name: 'trace-is-a-leaf',
      severity: 'error',
      comment: 'The trace format (events, codec, header, walk, reader, writer, text) imports only the base layer (arch/, util/, errors.ts, version.ts).',
      from: { path: '^engine/trace/', pathNot: TESTS },
      to: { path: '^engine/', pathNot: `^engine/trace/|${BASE}` },
    },
    {
      name: 'contracts-below-models',
      severity: 'error',
      comment: 'The model contract (model/) and the policies (policy/) know only the trace format and the base.',
      from: { path: '^engine/(model|policy)/', pathNot: TESTS },
      to: { path: '^engine/', pathNot: `^engine/(model|policy|trace)/|${BASE}` },
    },
    {
      name: 'models-below-replay',
      severity: 'error',
      comment: 'gic/ and timer/ never import replay/, golden/, divergence/, sources/ or tools/ (nor the other users of the models).',
      from: { path: '^engine/(gic|timer)/', pathNot: TESTS },
      to: { path: '^(engine/(replay|golden|divergence|sources|inspect|fidelity|guests|backend)/|engine/index\\.ts|tools/)' },
    },
    {
      name: 'replay-below-its-users',
      severity: 'error',
      comment: 'replay/ drives the models; goldens, analyses, inspection, sources and guests use it, never the reverse.',
      from: { path: '^engine/replay/', pathNot: TESTS },
      to: { path: '^(engine/(golden|divergence|sources|inspect|fidelity|guests|backend)/|engine/index\\.ts|tools/)' },
    },
    {
      name: 'sources-start-the-pipeline',
      severity: 'error',
      comment: 'Sources write traces; they know nothing of the models, replay records or goldens.',
      from: { path: '^engine/sources/', pathNot: TESTS },
      to: { path: '^(engine/(gic|timer|model|replay|golden|divergence|inspect|fidelity|guests|backend)/|engine/index\\.ts|tools/)' },
    },
    {
      name: 'backend-above-its-tools',
      severity: 'error',
      comment: 'engine/backend/ (real KVM) replays through goldens, inspection and the analyses; none of them imports it.',
      from: { path: '^engine/(golden|divergence|inspect|fidelity|guests)/', pathNot: TESTS },
      to: { path: '^engine/backend/' },
    },
    {
      name: 'witnesses-on-top',
      comment: 'engine/minimize/ and engine/export/ ask the analyses, goldens and the KVM backend; nothing below imports them.',
      severity: 'error',
      from: { path: '^engine/(?!minimize/|export/|index\\.ts)', pathNot: TESTS },
      to: { path: '^engine/(minimize|export)/' },
    },
    {
      name: 'library-free-of-tools',
      severity: 'error',
      comment: 'engine/ is the library: it never imports the CLI or the repository tools.',
      from: { path: '^engine/', pathNot: TESTS },
      to: { path: '^tools/' },
    },
    {
      name: 'cli-uses-the-public-api',
      severity: 'error',
      comment: 'The CLI is a thin layer over the library: it imports engine/index.ts and nothing else of engine/.',
      from: { path: '^tools/cli/', pathNot: TESTS },
      to: { path: '^engine/', pathNot: '^engine/index\\.ts$' },
    },
    {
      name: 'no-test-kits-in-production',
      severity: 'error',
      comment: 'Test kits (testing/ folders) and tests serve tests only; they are not in the package.',
      from: { pathNot: TESTS },
      to: { path: TESTS },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    // Type-only imports count: a type cycle is a cycle for the reader too.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
