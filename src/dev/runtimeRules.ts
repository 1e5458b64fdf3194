// What a function's Lambda runtime changes about how bam dev runs it: callbacks or not, how
// Node loads modules, how much heap it gets, and what bam dev says when the local Node differs.
import { DEFAULT_RUNTIME, findRuntime, isRetiredNodeRuntime, NODE_RUNTIMES } from '../core/runtimes.js';
import type { FunctionError } from './protocol.js';

export interface RuntimeRules {
  /** `nodejs24.x`. */
  name: string;
  /** The Node.js major Lambda runs it on (undefined for a name that says none). */
  node: number | undefined;
  /** Callback handlers and context.done/succeed/fail still work. */
  callbacks: boolean;
}

/**
 * The rules of a runtime name. A Node runtime older than bam's table had callbacks; one bam does
 * not know yet is treated as the newest it knows.
 */
export function runtimeRules(name: string = DEFAULT_RUNTIME): RuntimeRules {
  const known = findRuntime(name);
  if (known) return { name, node: known.node, callbacks: known.callbacks };
  const major = /^nodejs(\d+)\.x$/.exec(name)?.[1];
  const newest = NODE_RUNTIMES[0]!;
  return { name, node: major === undefined ? undefined : Number(major), callbacks: isRetiredNodeRuntime(name) ? true : newest.callbacks };
}

// Lambda's Node runtimes turn off require() of ES modules and module-syntax detection: a .js
// file is CommonJS unless its package.json says "type": "module". Newer Node spells the first
// --no-require-module; each Node accepts only the flags it knows.
const MODULE_FLAGS = [
  ['--no-require-module', '--no-experimental-require-module'],
  ['--no-detect-module', '--no-experimental-detect-module'],
];

/** The worker flags that load modules as Lambda does, in the spelling of the Node running bam. */
export function moduleFlags(allowed: ReadonlySet<string> = process.allowedNodeEnvironmentFlags): string[] {
  return MODULE_FLAGS.flatMap((spellings) => spellings.find((flag) => allowed.has(flag)) ?? []);
}

/** "bam dev runs hello on Node 20.20; Lambda will run it on Node 24", or undefined when the majors agree. */
export function nodeVersionNotice(functionName: string, rules: RuntimeRules, version: string = process.versions.node): string | undefined {
  const [major = '', minor = '0'] = version.split('.');
  if (rules.node === undefined || Number(major) === rules.node) return undefined;
  return `bam dev runs ${functionName} on Node ${major}.${minor}; Lambda will run it on Node ${rules.node}`;
}

// Lambda counts the whole runtime process against the memory setting, and Node takes about this
// much of it before any user code loads. Lambda's bootstrap gives V8 a semi-space of 5% of the
// memory (--max-semi-space-size; V8's young generation is three semi-spaces: two and the new
// large object space); the old generation, where a handler's data piles up, gets the rest less
// the one semi-space that holds objects between scavenges.
const NODE_OVERHEAD_MB = 40;
const MIN_OLD_GENERATION_MB = 16;
const SEMI_SPACES_PER_YOUNG_GENERATION = 3;

/** The worker heap limits for a memory setting in MB. */
export function heapLimits(memoryMb: number): { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number } {
  const semiSpace = Math.max(1, Math.floor((memoryMb * 5) / 100));
  return {
    maxYoungGenerationSizeMb: semiSpace * SEMI_SPACES_PER_YOUNG_GENERATION,
    maxOldGenerationSizeMb: Math.max(MIN_OLD_GENERATION_MB, memoryMb - NODE_OVERHEAD_MB - semiSpace),
  };
}

// The error Lambda's runtime interface client 4 (nodejs24.x on) reports at init for a handler
// declared with three or more parameters (aws-lambda-nodejs-runtime-interface-client,
// src/function/callback-deprecation.ts and src/context/constants.ts).
export const CALLBACK_HANDLER_ERROR: FunctionError = {
  errorType: 'Runtime.CallbackHandlerDeprecated',
  errorMessage:
    'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
};

/** What Lambda reports when a sandbox runs out of memory and is killed during a request. */
export function outOfMemoryError(awsRequestId: string | undefined): FunctionError {
  return { errorType: 'Runtime.OutOfMemory', errorMessage: exitMessage(awsRequestId, 'signal: killed') };
}

/** "RequestId: … Error: Runtime exited with error: exit status 1", as Lambda words a sandbox's end. */
export function exitMessage(awsRequestId: string | undefined, how: string): string {
  return `${awsRequestId ? `RequestId: ${awsRequestId} Error: ` : ''}Runtime exited with error: ${how}`;
}

/** The one line bam dev prints about a failure Lambda would report too, or undefined. */
export function failureNotice(fn: { name: string; runtime: string; memoryMb: number; entryFile: string }, error: FunctionError): string | undefined {
  switch (error.errorType) {
    case CALLBACK_HANDLER_ERROR.errorType:
      return `${fn.name} uses a callback handler, which ${fn.runtime} no longer runs: make it async (or deploy it on nodejs22.x)`;
    case 'Runtime.OutOfMemory':
      return `${fn.name} ran out of its ${fn.memoryMb} MB: raise its memory (bam redeploy ${fn.name} --memory ${fn.memoryMb * 2}) or use less`;
    case 'Runtime.UserCodeSyntaxError':
      if (fn.entryFile.endsWith('.js') && /\b(import statement outside a module|Unexpected token 'export')/.test(error.errorMessage)) {
        return `${fn.name} is an ES module in a .js file, which Lambda loads as CommonJS: add "type": "module" to its package.json, or rename it .mjs`;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The line the sandbox sends when a handler reached for a context method its runtime dropped. */
export function contextMethodNotice(functionName: string, runtime: string, method: string): string {
  return `${functionName} calls context.${method}, which ${runtime} no longer provides: return the result from an async handler`;
}

/** The context methods nodejs24.x removed. */
export const CONTEXT_CALLBACK_METHODS = ['done', 'succeed', 'fail'] as const;
