/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM; a second one while stopping exits at once. */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      // The second Ctrl-C's listener goes on before the first one's comes off: SIGINT never meets
      // Node's default (death by the signal, skipping close()) in between.
      process.once('SIGINT', () => process.exit(130));
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
