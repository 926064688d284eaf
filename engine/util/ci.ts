// The one rule for "are we on CI?", used by bless (refuses), the Jest matcher (never writes),
// check's progress line, the live-recording test (fails instead of skipping) and check-live.

/** CI is set to anything but '', 'false' or '0' (GitHub and GitLab set "true", others "1"). */
export function isCi(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}
