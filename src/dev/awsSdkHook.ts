// An ES module resolve hook for the function workers: Lambda's Node.js runtime provides the
// AWS SDK v3, so a handler may import @aws-sdk/* without installing it. When the user's folder
// cannot resolve such an import, it resolves from bam's own dependencies instead.

interface ResolveContext {
  parentURL?: string;
  conditions: string[];
  importAttributes?: Record<string, string>;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<unknown>;

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<unknown> {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (!specifier.startsWith('@aws-sdk/') || (err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    return nextResolve(specifier, { ...context, parentURL: import.meta.url });
  }
}
