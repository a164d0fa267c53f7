/**
 * W6's convnet, built with whichever build of backprop `bp` is (the bench's
 * own in bench/impls/ours.mjs, the soak's in bench/lib/soak.mjs):
 * Conv2d(1,32,5,p2)-ReLU-MaxPool2d(2)-Conv2d(32,64,5,p2)-ReLU-MaxPool2d(2)-Flatten-Linear(3136,10).
 */
import { W6 } from "./workloads.mjs";

export function w6Convnet(bp) {
  const [c0, c1, c2] = W6.channels;
  const conv = (cin, cout) => new bp.nn.Conv2d(cin, cout, W6.kernel, { padding: W6.padding });
  const side = W6.side / 4;
  return new bp.nn.Sequential(
    conv(c0, c1), new bp.nn.ReLU(), new bp.nn.MaxPool2d(2),
    conv(c1, c2), new bp.nn.ReLU(), new bp.nn.MaxPool2d(2),
    new bp.nn.Flatten(), new bp.nn.Linear(c2 * side * side, W6.classes),
  );
}
