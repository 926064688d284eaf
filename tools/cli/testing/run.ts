// Test kit for the CLI: run it in-process (main(), stdout/stderr captured, exit code returned) or
// as a child process from the built dist/ (npm test builds it first; a missing build is a failure,
// never a skip).

import * as fs from 'fs';
import * as path from 'path';
import { main } from '../main';
import { captureStdout } from '../output';

const ROOT = path.join(__dirname, '..', '..', '..');
export const CLI_BIN = path.join(ROOT, 'bin', 'gicreplay');

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Run the CLI entry point in this process with stdout and stderr captured. */
export async function runCli(argv: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  // Commands print through Output (fd 1); yargs' --help through process.stdout.
  captureStdout((s) => (out += s));
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = 0;
  try {
    await main(argv);
  } finally {
    captureStdout(null);
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out, err };
}

/** Throws unless dist/ holds the CLI: child-process tests run the build, not the sources. */
export function requireBuiltCli(): void {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'tools', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing the CLI: run `npx tsc -p tsconfig.json` (npm test does) before these tests');
  }
}
