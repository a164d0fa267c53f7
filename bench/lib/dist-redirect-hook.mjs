/**
 * Node resolve hook for bench/compare-builds.mjs: sends every import of this
 * checkout's dist/ to another checkout's dist/, so that the same bench code
 * (bench/impls/ours.mjs, the same workloads and data) drives an older or
 * newer build of the library. Registered with data { from, to }: two file
 * URLs ending in "/dist/".
 */
let from = "";
let to = "";

export function initialize(data) {
  from = data.from;
  to = data.to;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (from !== to && result.url.startsWith(from)) return { ...result, url: to + result.url.slice(from.length) };
  return result;
}
