import type { Reporter } from '../../src/ui/reporter.js';

/** Records every event; for tests. */
export class MemoryReporter implements Reporter {
  readonly events: { type: string; text: string }[] = [];

  start(text: string): void {
    this.events.push({ type: 'start', text });
  }
  update(text: string): void {
    this.events.push({ type: 'update', text });
  }
  succeed(text: string): void {
    this.events.push({ type: 'succeed', text });
  }
  fail(text: string): void {
    this.events.push({ type: 'fail', text });
  }
  stop(): void {}
  info(text: string): void {
    this.events.push({ type: 'info', text });
  }
  warn(text: string): void {
    this.events.push({ type: 'warn', text });
  }
  result(text: string): void {
    this.events.push({ type: 'result', text });
  }

  /** All text of the given event types, one line each. */
  text(...types: string[]): string {
    return this.events
      .filter((e) => types.length === 0 || types.includes(e.type))
      .map((e) => e.text)
      .join('\n');
  }
}
