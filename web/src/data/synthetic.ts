/** One entry point for every generated dataset: the toy shapes and the 2-D regressions. */
import type { Dataset } from "./dataset.js";
import { isRegression2dName, makeRegression2d, type Regression2dName } from "./regression2d.js";
import { makeToy, type ToyName, type ToyOptions } from "./toy.js";

export function makeSynthetic(name: ToyName | Regression2dName, opts: ToyOptions): Dataset {
  return isRegression2dName(name) ? makeRegression2d(name, opts) : makeToy(name, opts);
}
