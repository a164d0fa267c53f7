/**
 * Node resolve hook for TF.js's ES-module files, whose relative imports
 * omit the ".js" extension (written for bundlers). The bench needs one such
 * file, tfjs-core's register_all_gradients.js: the Node bundle of tfjs-core
 * registers no gradients, and training needs them. Gradients and kernels
 * live in registries on the global object, so ops imported this way run on
 * the same engine and backends as the Node bundle.
 */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const fromTfjs = context.parentURL?.includes("/@tensorflow/");
    if (!fromTfjs || !specifier.startsWith(".")) throw err;
    for (const suffix of [".js", "/index.js"]) {
      try {
        return await nextResolve(specifier + suffix, context);
      } catch { /* try the next suffix */ }
    }
    throw err;
  }
}
