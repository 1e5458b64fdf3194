import { retrySettings } from '../../src/aws/bamBam.js';

/**
 * Makes bamBam's waits instant for a test (it still counts them), so retry paths run in
 * milliseconds; returns the delays it would have slept and a restore function.
 */
export function instantRetries(): { delays: number[]; restore: () => void } {
  const saved = { ...retrySettings };
  const delays: number[] = [];
  let clock = 0;
  retrySettings.sleep = (ms: number) => {
    delays.push(ms);
    clock += ms;
    return Promise.resolve();
  };
  retrySettings.now = () => clock;
  return {
    delays,
    restore: () => {
      Object.assign(retrySettings, saved);
    },
  };
}
