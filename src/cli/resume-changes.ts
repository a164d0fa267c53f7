/**
 * What `train --resume` does to a saved run before training goes on, for
 * table runs and character runs alike: applies a new --epochs, --optimizer
 * (its state then starts afresh) and --lr, records them in config.json's
 * "changes", rebuilds the optimizer with its saved state, restores the
 * global generator, and marks the run "running" again.
 */
import type { Optimizer } from "../optim/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { defaultGenerator } from "../tensor/random.js";
import type { Checkpoint, TrainingPosition } from "./checkpoint.js";
import { buildOptimizer } from "./optimizer.js";
import type { OptimizerName } from "./options.js";
import type { Output } from "./progress.js";
import { CONFIG_FILE, type RunChange, type RunStatus } from "./run-config.js";

/** What --resume may change besides the data. */
export interface OptionChanges {
  epochs?: number;
  lr?: number;
  optimizer?: OptimizerName;
}

/** The parts of a run's config.json that resuming reads and updates. */
export interface ResumableConfig {
  status: RunStatus;
  divergence?: { epoch: number } | null;
  changes?: RunChange[];
  options: { epochs: number; lr: number; optimizer: OptimizerName };
}

/**
 * Applies `changes` to `config.options` (a new optimizer without a new rate
 * gets `defaultLr` of it) and returns the optimizer over `params`, its saved
 * state loaded unless the optimizer changed, and the checkpoint's position.
 * `changed` may come with entries of the caller's (e.g. the data).
 */
export function continueRun(
  config: ResumableConfig, changes: OptionChanges, checkpoint: Checkpoint, params: Tensor[], defaultLr: (name: OptimizerName) => number, out: Output,
  changed: RunChange["changed"] = {},
): { optimizer: Optimizer<any>; position: TrainingPosition } {
  const o = config.options;
  if (changes.epochs !== undefined && changes.epochs !== o.epochs) {
    changed.epochs = { from: o.epochs, to: changes.epochs };
    o.epochs = changes.epochs;
  }
  let dropState = false;
  if (changes.optimizer !== undefined && changes.optimizer !== o.optimizer) {
    changed.optimizer = { from: o.optimizer, to: changes.optimizer };
    // Momentum buffers and Adam's moments mean nothing to another optimizer: start its state afresh.
    dropState = true;
    o.optimizer = changes.optimizer;
    if (changes.lr === undefined) {
      const lr = defaultLr(changes.optimizer);
      changed.lr = { from: o.lr, to: lr };
      o.lr = lr;
    }
  }
  if (changes.lr !== undefined && changes.lr !== o.lr) {
    changed.lr = { from: changed.lr?.from ?? o.lr, to: changes.lr };
    o.lr = changes.lr;
  }
  const optimizer = buildOptimizer(o.optimizer, params, o.lr);
  if (!dropState) {
    optimizer.loadStateDict(checkpoint.optimizer as Parameters<typeof optimizer.loadStateDict>[0]);
    // The saved state carries the old learning rate; the new one wins.
    for (const group of optimizer.paramGroups) group.lr = o.lr;
  }
  defaultGenerator.setState(checkpoint.position.defaultGeneratorState);
  const position = checkpoint.position;
  if (Object.keys(changed).length > 0) {
    config.changes = [...(config.changes ?? []), {
      epoch: position.epoch, batch: position.nextBatch + 1, time: new Date().toISOString(), changed,
      ...(dropState ? { optimizerStateDropped: true } : {}),
    }];
    const list = Object.entries(changed).map(([k, v]) => `--${k} ${v.from} → ${v.to}`).join(", ");
    out.write(`resume changes: ${list} (recorded in ${CONFIG_FILE} under "changes")\n`);
    if (dropState) out.write(`note: the optimizer changed from ${changed.optimizer!.from} to ${changed.optimizer!.to}: its state (momentum, moment estimates) starts afresh; the weights are kept\n`);
  }
  if (config.status === "diverged") out.write(`note: this run diverged at epoch ${config.divergence?.epoch ?? "?"}; continuing from the last good checkpoint (epoch ${position.epoch}, batch ${position.nextBatch + 1})\n`);
  config.status = "running";
  config.divergence = null;
  return { optimizer, position };
}
