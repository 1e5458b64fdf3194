#!/usr/bin/env node
import module from 'node:module';

// Node 22.1+ keeps V8's compiled code of bam between runs (in the OS's temp folder): every
// command starts sooner. Node 20 has no such cache and goes on without it.
module.enableCompileCache?.();
const { main } = await import('../dist/cli.js');

process.exitCode = await main(process.argv);
