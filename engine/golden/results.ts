// Result objects of the golden suite. Plain JSON-safe data (hex strings, never bigint) so worker
// threads, shard reports (--json) and --merge all carry the same objects. IDs are stable: the
// same drift always gets the same ID, whatever machine or shard found it.

export const REPORT_SCHEMA = 1;

/** match: identical and current. drift: output differs. missing: no golden. stale: output equal but trace/policy/model changed. error: bad input (exit 2). */
export type PairStatus = 'match' | 'drift' | 'missing' | 'stale' | 'error';

export type DifferenceKind = 'changed' | 'added' | 'removed' | 'rendering';

export interface FieldChange {
  field: string;
  old: string;
  new: string;
}

/** Where a golden line sits: the fields a parsed line and a difference share. */
export interface RecordPlace {
  /** Event index, -1 for timer/reset records. */
  index: number;
  cycle: string | null;
  cpu: number | null;
  op: string;
  via?: string;
  reg?: string;
}

export interface Difference extends RecordPlace {
  /** `<pair id>@<event index or t>:<n>` — n counts differences within that event. */
  id: string;
  kind: DifferenceKind;
  old?: string;
  new?: string;
  fields?: FieldChange[];
  /** INTIDs whose field differs (per-interrupt registers), as ranges "32-63". */
  intids?: string;
  /** The trace's source could not observe this register: the golden value is the model's alone. */
  unobservable?: boolean;
  oldLine?: string;
  newLine?: string;
}

export interface DiffGroup {
  /** `<pair id>#<kind>:<op>:<reg family>:<old>:<new>` */
  id: string;
  kind: DifferenceKind;
  op: string;
  reg: string;
  old?: string;
  new?: string;
  intids?: string;
  /** Field changes (the same for every member: the group key includes old and new value). */
  fields?: FieldChange[];
  count: number;
  firstIndex: number;
  unobservable: boolean;
}

export interface DriftReport {
  first: Difference;
  /** Total number of differing records (old and new lines that do not pair up count once each). */
  total: number;
  /** The first differences in detail (bounded). */
  shown: Difference[];
  groups: DiffGroup[];
  groupsOmitted: number;
  /** Unified diff of the golden text, bounded; `unifiedOmitted` counts the -/+ lines left out. */
  unified: string[];
  unifiedOmitted: number;
}

export interface PairResult {
  /** `<trace path relative to traces/>::<policy id>` */
  id: string;
  trace: string;
  policy: string;
  /** Golden path relative to the project root, POSIX separators. */
  golden: string;
  status: PairStatus;
  /** Why a golden is stale: which recorded digest or version no longer matches. */
  stale?: string[];
  /** The golden stores no body of its own: it shares this policy's. */
  sameAs?: string;
  message?: string;
  drift?: DriftReport;
  /** sha256 and line count of the body this replay produced (absent when replay failed). */
  bodySha256?: string;
  bodyLines?: number;
  traceDigest?: string;
  /** body-sha256 recorded in the golden's header (checked against the ledger). */
  goldenSha256?: string;
  /** With --pending DIR: where the new output was written, relative to DIR. */
  pending?: string;
}

/** A file an interrupted bless left under golden/ (engine/golden/leftovers.ts). */
export interface Leftover {
  /** Project-relative, POSIX. */
  file: string;
  reason: string;
}

export interface ObsoleteGolden {
  golden: string;
  reason: string;
}

export interface Manifest {
  /** Every (trace × policy) pair ID of the complete suite, sorted. */
  pairs: string[];
  /** Every *.golden file under golden/ (project-relative), sorted. */
  goldenFiles: string[];
  /** Golden files carrying gicreplay's header (the only ones obsolete detection may name). */
  ownedGoldens: string[];
  /** *.golden files without gicreplay's header: reported, never deleted. */
  foreign: string[];
  policies: string[];
  traces: string[];
  /**
   * Entries under traces/ that exist but cannot be read (a folder that cannot be listed, a
   * dangling link): what traces they hold is unknown, so no golden under them is ever obsolete,
   * and the check fails (exit 2) until they are fixed.
   */
  unreadable?: Array<{ path: string; reason: string }>;
}

/** A maintainer's expected-to-differ/agree statement (golden/invariants.json, engine/divergence). */
export interface InvariantOutcome {
  /** `inv:<trace>:<policy a>:<policy b>:<differ|agree>` */
  id: string;
  trace: string;
  policies: [string, string];
  expect: 'differ' | 'agree';
  ok: boolean;
  message: string;
}

export interface Verdict {
  exit: 0 | 1 | 2;
  counts: Record<PairStatus | 'obsolete' | 'pairs' | 'invariantFailures' | 'unreadable' | 'leftovers', number>;
  summary: string;
}

export interface CheckReport {
  schema: number;
  tool: { gicreplay: string; model: number };
  /** Set for a shard's partial report; absent for full and merged reports. */
  shard?: { index: number; count: number };
  /** What was asked for, so a merge can refuse mixing differently filtered shards. */
  /** Trace scopes ("x.gtr" or a folder, relative to traces/), policy IDs, and the pair IDs selected before sharding. */
  filter: { paths: string[]; policies: string[]; pairs: string[] };
  manifest: Manifest;
  results: PairResult[];
  /** Computed only on complete (unsharded or merged) reports. */
  obsolete: ObsoleteGolden[];
  /** *.golden files without gicreplay's header: reported, never deleted. */
  foreign: string[];
  /** Invariants whose trace this run selected (split across shards like the pairs). */
  invariants: InvariantOutcome[];
  /** Temp files and locks interrupted blesses left in golden/ (complete runs only); `bless --prune` removes them. */
  leftovers?: Leftover[];
  verdict: Verdict;
}
