import type { Reporter } from '../../src/ui/reporter.js';

/** Records every event; for tests. */
export class MemoryReporter implements Reporter {
  readonly events: { type: string; text: string }[] = [];
  private readonly waiting: { match: (event: { type: string; text: string }) => boolean; resolve: (event: { type: string; text: string }) => void }[] = [];

  start(text: string): void {
    this.add({ type: 'start', text });
  }
  update(text: string): void {
    this.add({ type: 'update', text });
  }
  succeed(text: string): void {
    this.add({ type: 'succeed', text });
  }
  fail(text: string): void {
    this.add({ type: 'fail', text });
  }
  stop(): void {}
  info(text: string): void {
    this.add({ type: 'info', text });
  }
  warn(text: string): void {
    this.add({ type: 'warn', text });
  }
  result(text: string): void {
    this.add({ type: 'result', text });
  }

  /** The next event (from now on) that matches: a test waits on what bam says, never on a clock. */
  next(match: (event: { type: string; text: string }) => boolean): Promise<{ type: string; text: string }> {
    return new Promise((resolve) => this.waiting.push({ match, resolve }));
  }

  private add(event: { type: string; text: string }): void {
    this.events.push(event);
    for (const waiter of [...this.waiting]) {
      if (!waiter.match(event)) continue;
      this.waiting.splice(this.waiting.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  }

  /** All text of the given event types, one line each. */
  text(...types: string[]): string {
    return this.events
      .filter((e) => types.length === 0 || types.includes(e.type))
      .map((e) => e.text)
      .join('\n');
  }
}
