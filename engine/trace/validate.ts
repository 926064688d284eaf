// Events built in memory (a recorder, an importer, a test, a library user) get the reader's own
// checks before they are written or replayed: types and ranges as decodeEvent applies them to
// the wire form, then the header-dependent rules of EventChecker. So the writer cannot produce a
// trace the reader refuses, and replayEvents cannot be fed events no trace could hold.

import { InputError } from '../errors';
import { EventChecker } from './check';
import { decodeEvent, eventToWire } from './codec';
import { TraceEvent, TraceHeader } from './events';
import { headerToWire, parseHeader } from './header';
import { Violation } from './violation';

export class EventValidator {
  private readonly checker: EventChecker;
  /** The header's format minor: what the events may carry (a 1.0 trace has no results, no ctrl group). */
  private readonly minor: number;

  /** `source` names the events in messages (the file being written, or "in-memory events"). */
  constructor(header: TraceHeader, private readonly source: string) {
    try {
      this.checker = new EventChecker(parseHeader(headerToWire(header)));
      this.minor = header.formatMinor;
    } catch (e) {
      if (e instanceof Violation) throw new InputError(`invalid trace header: ${e.what}`, { file: source }, e.expected);
      throw new InputError(`invalid trace header: ${(e as Error).message}`, { file: source });
    }
  }

  /** Throws an InputError naming the source and the event index when `ev` breaks a rule. */
  check(ev: TraceEvent, index: number, what = 'event'): void {
    try {
      decodeEvent(eventToWire(ev), this.minor);
      this.checker.check(ev);
    } catch (e) {
      if (e instanceof Violation) throw new InputError(`${what}: ${e.what}`, { file: this.source, eventIndex: index }, e.expected);
      throw new InputError(`${what}: ${(e as Error).message}`, { file: this.source, eventIndex: index });
    }
  }
}
