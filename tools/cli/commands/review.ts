// `gicreplay review` (interactive, a terminal only), `accept` and `reject` (for scripts): the
// pending goldens `check --pending` wrote, accepted through bless's locked, atomic, ledgered path
// (each body checked against a fresh replay) or deleted. Goldens change only through accept.

import * as path from 'path';
import * as readline from 'readline';
import type { Argv } from 'yargs';
import { acceptPending, blessStamp, defaultPendingDir, findProjectRoot, listPending, pendingChange, PendingGolden, removePending, resolveConfig, UsageError } from '../../../engine';
import type { CliContext } from '../context';
import { withInterrupts } from '../interrupt';
import { Output } from '../output';
import { Decision, ReviewIo, reviewItems, reviewSession } from '../review';
import { chosenPolicies, policyOptions } from '../policy-args';
import { progressPrinter } from './check';
import { quietBlessMessages } from './bless';

interface PendingArgs {
  paths?: string[];
  policy?: string[];
  'policy-file'?: string[];
  pending?: string;
  root?: string;
  command?: string;
}

function pendingOptions<T>(c: Argv<T>) {
  return policyOptions(c, { defaultText: 'the pending goldens of every policy; name the policy files they were checked with' })
    .positional('paths', { type: 'string', array: true, describe: 'only the pending goldens of these traces, goldens or folders' })
    .option('pending', { type: 'string', describe: 'the folder `check --pending` wrote (default: .gicreplay/pending)' })
    .option('root', { type: 'string', describe: 'project folder holding traces/ and golden/ (default: nearest above the current folder)' });
}

function selectPending(a: PendingArgs): { root: string; dir: string; pending: PendingGolden[] } {
  const root = a.root ? path.resolve(a.root) : findProjectRoot(process.cwd());
  const dir = a.pending ? path.resolve(a.pending) : defaultPendingDir(root);
  const paths = (a.paths ?? []).map((p) => path.relative(root, path.resolve(p)).split(path.sep).join('/'));
  // Policy files only make their policies known; IDs (or files named through --policy) narrow the selection.
  const sel = chosenPolicies(a, root, { command: a.command ?? 'review' });
  const policies = sel.ids.length || (a.policy ?? []).length ? sel.chosen.map((p) => p.id) : undefined;
  const pending = listPending(dir, { paths, policies });
  return { root, dir, pending };
}

function nothingPending(dir: string, root: string): string {
  const shown = path.relative(process.cwd(), dir) || '.';
  const flag = dir === defaultPendingDir(root) ? '' : ` ${shown}`;
  return `no pending goldens in ${shown}: \`gicreplay check --pending${flag}\` writes the new output of every pair that does not match`;
}

async function accept(a: PendingArgs, pending: PendingGolden[], root: string, reason: string, command: string): Promise<string[]> {
  const cfg = resolveConfig({ mode: 'bless', env: process.env, tty: Boolean(process.stderr.isTTY), workers: 0 });
  const r = await withInterrupts((signal) =>
    acceptPending({ root, cwd: process.cwd(), pending, reason, config: cfg, policyFiles: chosenPolicies(a, root, { command }).files, stamp: blessStamp({ root, env: process.env, command }), signal, onProgress: progressPrinter(cfg.progress) }),
  );
  return quietBlessMessages(r.messages);
}

/** Keys from a terminal in raw mode; the reason as a line. */
function terminalIo(out: Output): ReviewIo & { line(prompt: string): Promise<string | null> } {
  const write = (ls: readonly string[]) => out.lines(ls);
  return {
    write,
    key: (prompt, keys) =>
      new Promise((resolve) => {
        process.stdout.write(prompt);
        readline.emitKeypressEvents(process.stdin);
        process.stdin.setRawMode(true);
        process.stdin.resume();
        const onKey = (s: string | undefined, k: { name?: string; ctrl?: boolean } | undefined) => {
          const name = k?.name ?? s ?? '';
          if (k?.ctrl && (name === 'c' || name === 'd')) return done(null);
          if (keys.includes(name)) return done(name);
        };
        const done = (v: string | null) => {
          process.stdin.removeListener('keypress', onKey);
          process.stdin.setRawMode(false);
          process.stdin.pause();
          process.stdout.write(`${v ?? '(stopped)'}\n`);
          resolve(v);
        };
        process.stdin.on('keypress', onKey);
      }),
    line: (prompt) =>
      new Promise((resolve) => {
        const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
        let answered = false;
        rl.question(prompt, (ans) => {
          answered = true;
          rl.close();
          resolve(ans);
        });
        rl.on('close', () => {
          if (!answered) resolve(null);
        });
      }),
  };
}

export function reviewCommand(y: Argv, ctx: CliContext): Argv {
  return y
    .command(
      'review [paths..]',
      'Walk the pending new outputs (`check --pending`) one at a time with a semantic diff: accept, reject or skip each (a terminal only; scripts use accept / reject)',
      (c) => pendingOptions(c).option('reason', { type: 'string', describe: 'why the accepted output is right (asked for when not given; kept in the ledger)' }),
      async (a) => {
        if (!process.stdin.isTTY || !process.stdout.isTTY) {
          throw new UsageError('review is interactive and needs a terminal (standard input and output); in a script use `gicreplay accept [PATHS] --reason "…"` or `gicreplay reject [PATHS]`');
        }
        const { root, dir, pending } = selectPending(a as PendingArgs);
        const out = new Output();
        if (!pending.length) {
          out.lines([nothingPending(dir, root)]);
          return;
        }
        const items = reviewItems(pending, (p) => pendingChange(root, p));
        out.lines([`${pending.length} pending golden${pending.length === 1 ? '' : 's'} in ${items.length} item${items.length === 1 ? '' : 's'} (policies with identical new output are one item)`]);
        const io = terminalIo(out);
        const { decisions } = await reviewSession(items, io, ctx.style);
        process.exitCode = await applyDecisions(a as PendingArgs & { reason?: string }, root, items.map((i) => i.pending), decisions, out, () => io.line('Why is the accepted output right? (kept in the ledger) › '));
      },
    )
    .command(
      'accept [paths..]',
      'Bless the pending new outputs `check --pending` wrote, exactly as written (each checked against a fresh replay); recorded in the ledger like bless',
      (c) => pendingOptions(c).option('reason', { type: 'string', describe: 'why the new output is right (required; kept in the ledger)' }),
      async (a) => {
        const { root, dir, pending } = selectPending(a as PendingArgs);
        if (!pending.length) throw new UsageError(nothingPending(dir, root));
        if (!a.reason?.trim()) throw new UsageError('accept needs --reason "why the new output is right"; it is kept in golden/LEDGER.jsonl');
        new Output().lines([...(await accept(a as PendingArgs, pending, root, a.reason.trim(), 'accept')), `accepted ${pending.length} pending golden${pending.length === 1 ? '' : 's'}`]);
      },
    )
    .command(
      'reject [paths..]',
      'Delete the pending new outputs (the goldens stay as they are)',
      (c) => pendingOptions(c),
      (a) => {
        const { root, dir, pending } = selectPending(a as PendingArgs);
        if (!pending.length) throw new UsageError(nothingPending(dir, root));
        removePending(pending);
        new Output().lines([`rejected ${pending.length} pending golden${pending.length === 1 ? '' : 's'}; the goldens are unchanged`]);
      },
    );
}

/** Accept what was accepted (one bless, one ledger line), delete what was rejected, keep the rest. */
export async function applyDecisions(a: PendingArgs & { reason?: string }, root: string, groups: PendingGolden[][], decisions: readonly Decision[], out: Output, askReason: () => Promise<string | null>): Promise<number> {
  const chosen = (d: Decision) => groups.filter((_, i) => decisions[i] === d).flat();
  const acc = chosen('accept');
  const rej = chosen('reject');
  const skip = chosen('skip');
  const lines: string[] = [];
  if (acc.length) {
    let reason = a.reason?.trim() ?? '';
    if (!reason) reason = ((await askReason()) ?? '').trim();
    if (!reason) {
      out.lines([`nothing accepted: accepting needs a reason (kept in the ledger); the ${acc.length} pending golden${acc.length === 1 ? '' : 's'} stay for the next review`]);
      removePending(rej);
      return 1;
    }
    lines.push(...(await accept(a, acc, root, reason, 'accept')));
  }
  removePending(rej);
  lines.push(`accepted ${acc.length}, rejected ${rej.length}, skipped ${skip.length} (still pending)`);
  out.lines(lines);
  return 0;
}
