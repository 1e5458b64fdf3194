import { describe, expect, it } from 'vitest';
import { SaveSchedule, type Saves, type Timers } from '../../../src/tasks/watch/schedule.js';

/** Timers that move only when the test says so. */
class FakeClock implements Timers {
  time = 0;
  private timers = new Map<number, { at: number; fire: () => void }>();
  private nextId = 1;
  now(): number {
    return this.time;
  }
  set(fire: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fire });
    return id;
  }
  clear(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves the clock on, firing the timers due by then in order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.timers].filter(([, timer]) => timer.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fire();
    }
    this.time = until;
  }
}

/** A run the test finishes by hand, recording what each run was given. */
function runs() {
  const started: Saves[] = [];
  const finishers: (() => void)[] = [];
  const run = (saves: Saves) => {
    started.push(saves);
    return new Promise<void>((resolve) => finishers.push(resolve));
  };
  const finish = async () => {
    finishers.shift()!();
    // Let the run's completion (a promise) settle.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { run, started, finish };
}

describe('the save schedule', () => {
  it('waits for saves to settle, then runs once with every saved file and the time of the first save', () => {
    const clock = new FakeClock();
    const { run, started } = runs();
    const schedule = new SaveSchedule(run, clock, 50);
    schedule.saved('/a.js');
    clock.advance(30);
    schedule.saved('/a.js');
    schedule.saved('/b.js');
    clock.advance(49);
    expect(started).toEqual([]);
    clock.advance(1);
    expect(started).toEqual([{ firstAt: 0, paths: ['/a.js', '/b.js'] }]);
  });

  it('never runs twice at once: saves during a run become one run right after it', async () => {
    const clock = new FakeClock();
    const { run, started, finish } = runs();
    const schedule = new SaveSchedule(run, clock, 50);
    schedule.saved('/a.js');
    clock.advance(50);
    schedule.saved('/a.js');
    clock.advance(60);
    schedule.saved('/b.js');
    clock.advance(60);
    expect(started).toHaveLength(1);
    await finish();
    expect(started).toHaveLength(2);
    expect(started[1]).toEqual({ firstAt: 50, paths: ['/a.js', '/b.js'] });
    await finish();
    expect(started).toHaveLength(2);
  });

  it('a save still settling when a run ends waits for its own quiet time', async () => {
    const clock = new FakeClock();
    const { run, started, finish } = runs();
    const schedule = new SaveSchedule(run, clock, 50);
    schedule.saved('/a.js');
    clock.advance(50);
    schedule.saved('/a.js');
    await finish();
    expect(started).toHaveLength(1);
    clock.advance(50);
    expect(started).toHaveLength(2);
  });

  it('stop lets the run under way finish and starts no other', async () => {
    const clock = new FakeClock();
    const { run, started, finish } = runs();
    const schedule = new SaveSchedule(run, clock, 50);
    schedule.saved('/a.js');
    clock.advance(50);
    schedule.saved('/a.js');
    let stopped = false;
    const stopping = schedule.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    await finish();
    await stopping;
    clock.advance(100);
    schedule.saved('/a.js');
    clock.advance(100);
    expect(started).toHaveLength(1);
  });
});
