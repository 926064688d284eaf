// Text from files (a trace header's strings, a file name) shown on a terminal: control
// characters (C0, DEL, C1) and the Unicode line/bidi controls are shown as \u{…} escapes, so a
// hostile header cannot move the cursor, recolour the screen or reorder what the user reads.

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function printable(s: string): string {
  return s.replace(UNSAFE, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}
