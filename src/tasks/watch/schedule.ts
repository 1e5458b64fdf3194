/** Timers a schedule runs on; tests hand in a fake clock. */
export interface Timers {
  now(): number;
  set(fire: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  set: (fire, ms) => setTimeout(fire, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One batch of saves: when the first was seen, and which files. */
export interface Saves {
  firstAt: number;
  paths: string[];
}

/**
 * One function's saves, turned into runs: saves settle for `quietMs` (an editor writes a file in
 * several steps), then one run. Runs never overlap: saves made during one wait for it and are
 * sent right after it, as one run (which builds from the files as they are then, so only the
 * newest state goes out).
 */
export class SaveSchedule {
  private timer: unknown;
  private running: Promise<void> | undefined;
  private pending: Saves | undefined;
  private stopped = false;

  constructor(
    private readonly run: (saves: Saves) => Promise<void>,
    private readonly timers: Timers,
    private readonly quietMs: number,
  ) {}

  saved(path: string): void {
    if (this.stopped) return;
    this.pending ??= { firstAt: this.timers.now(), paths: [] };
    if (!this.pending.paths.includes(path)) this.pending.paths.push(path);
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      this.next();
    }, this.quietMs);
  }

  /** No more runs; resolves once the one under way (if any) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private next(): void {
    if (this.running || !this.pending || this.stopped) return;
    const saves = this.pending;
    this.pending = undefined;
    this.running = this.run(saves).finally(() => {
      this.running = undefined;
      // Saves that settled while this run went out are sent now; unsettled ones when their timer fires.
      if (this.timer === undefined) this.next();
    });
  }
}
