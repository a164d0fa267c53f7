#!/usr/bin/env node
/**
 * The `backprop` command: train, predict, explain, gradcheck.
 * Exit status: 0 success, 1 data or file problem, 2 usage mistake,
 * 130 stopped by Ctrl-C after saving a checkpoint.
 */
import { Command, CommanderError, Option } from "commander";
// Install the tensor methods (ops, autograd) that everything below uses, as the library's entry points do.
import "../ops/methods.js";
import "../autograd/api.js";
// Gives the file helpers (readCsv, load, the bundled datasets…) Node's file system.
import "../io/node-file-system.js";
import { EXIT_USAGE, exitCodeFor, oneLine, UsageError } from "./errors.js";
import {
  ACTIVATIONS, DTYPES, LOSSES, OPTIMIZERS, TRAIN_TASKS, choice, delimiterOption, fraction, imageShapeOption, nonNegativeInteger, positiveInteger, positiveNumber,
  type TrainOptions,
} from "./options.js";
import { IMPUTE } from "./encode.js";
import { layerSpecOption, parseLayerSpec } from "./layer-spec.js";
import { DEFAULT_MAX_CLASSES } from "./inference.js";
import { libraryVersion } from "./run-config.js";
import { CHAR_MODELS } from "./chars-model.js";
import type { CharsTrainOptions } from "./chars-train.js";

const PROGRAM_EXAMPLES = `
Examples:
  $ backprop train                          train the lecture's network on the bundled digits (what npm start runs)
  $ backprop train --help                   every training option
  $ backprop predict --model runs/x new.csv
  $ backprop explain --graph graph.svg      the chain rule, factor by factor
  $ backprop gradcheck
  $ backprop train --task chars --data names.txt --out runs/names     a character model, one item per line
  $ backprop sample --model runs/names --count 10                      new items from it

Exit status: 0 done, 1 a data or file problem, 2 a usage mistake, 130 stopped by Ctrl-C (checkpoint saved).
`;

const TRAIN_EXAMPLES = `
Examples:
  $ backprop train                                  the lecture's network on the bundled digits
  $ backprop train --data iris --layers 16 --epochs 100
  $ backprop train --data wine --activation relu --loss cross-entropy --optimizer adam
  $ backprop train --data diabetes --optimizer adam --lr 0.01       (regression)
  $ backprop train --data measurements.csv --target price --task regress --out runs/price
  $ backprop train --data /usr/share/datasets/fashion-mnist --layers 128 --optimizer adam --epochs 5
  $ backprop train --data digits --layers conv16k3p1,pool2,conv32k3p1,pool2,flatten --activation relu --loss cross-entropy --optimizer adam --epochs 10
  $ backprop train --data pixels.csv --image-shape 1x8x8 --layers conv8k3p1,pool2 --activation relu --loss cross-entropy --optimizer adam
  $ backprop train --data survey.csv --target answer --impute median
  $ backprop train --resume runs/price               continue an interrupted run (Ctrl-C saves one)
  $ backprop train --resume runs/price --lr 0.001 --epochs 100     continue with a lower rate (after divergence)
  $ backprop train --task chars --data names.txt --out runs/names    a character model on one item per line
  $ backprop train --task chars --model lstm --epochs 5 --out runs/words     the bundled words (--data words)
  $ backprop train --resume runs/names --data more-names.txt --epochs 20     continue on more text (same characters)

The task is inferred from the target: text labels, or whole numbers with at most 50
distinct values that are at most half the rows, are classes; anything else is
regression. What was inferred is printed; --task overrides it.

--task chars trains a character-level language model instead: --data is a text
file with one item per line (.gz too; default: the bundled words), and --model,
--context, --embed, --layers (blocks or RNN layers, a number), --heads and --hidden
shape it (defaults: transformer, 16, 64, 2, 4, 4 × embed; lstm/gru: 1 layer of 128).
Its defaults: --epochs 10, --batch-size 64, --val-split 0.1, --optimizer adamw,
--lr 0.003. Generate from the run with \`backprop sample\` (see docs/sequences.md).
`;

const SAMPLE_EXAMPLES = `
Examples:
  $ backprop sample --model runs/names                         20 items, seed 0
  $ backprop sample --model runs/names --count 5 --seed 7 --temperature 0.8
  $ backprop sample --model runs/names --prefix ma --top-k 5   items starting with "ma"

The same model, seed and options give the same items. A lower --temperature
(0.5) keeps to the likeliest characters; a higher one (1.5) takes more risks.
`;

const PREDICT_EXAMPLES = `
Examples:
  $ backprop predict --model runs/digits new-digits.csv > predictions.csv
  $ backprop predict --model runs/price houses.csv

  $ backprop predict --model runs/mnist t10k-images-idx3-ubyte.gz

A CSV needs the model's feature columns by header name (in any order; other
columns, such as the target, are ignored), or, without a header line, exactly
the model's columns in training order.
`;

const EXPLAIN_EXAMPLES = `
Examples:
  $ backprop explain                                a fresh lecture network on a digits batch
  $ backprop explain --model runs/digits --batch 4 --graph graph.svg
  $ backprop explain --graph graph.dot && dot -Tpng graph.dot -o graph.png
`;

const GRADCHECK_EXAMPLES = `
Examples:
  $ backprop gradcheck                              a fresh lecture network, every parameter
  $ backprop gradcheck --model runs/digits --batch 8
  $ backprop gradcheck --model runs/fashion --max-entries 500     (a large model: sample each parameter)
`;

function buildProgram(): Command {
  const program = new Command("backprop")
    .description("Train neural networks by backpropagation, and look inside them.")
    .version(libraryVersion(), "-V, --version")
    .option("--debug", "print stack traces for errors")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .addHelpText("after", PROGRAM_EXAMPLES);

  const train = program.command("train")
    .description("train a network (defaults: the lecture's 2 sigmoid hidden layers, squared error on one-hot targets, plain SGD, on the bundled digits)")
    .addOption(new Option("--data <name|file|dir>", "bundled dataset (digits, iris, wine, diabetes), a CSV file, or a directory of IDX files (MNIST/Fashion-MNIST); with --task chars a text file of one item per line, or words (the default there: the bundled word list)").default("digits"))
    .option("--target <column>", "the CSV column to predict, by header name or 0-based position (default: the last column)")
    .addOption(new Option("--task <task>", "classify or regress (default: inferred from the target); chars: a character model on a text file of one item per line (see below)").argParser(choice("--task", TRAIN_TASKS)))
    .addOption(new Option("--layers <spec>", "hidden layers, comma separated: Linear widths (32,32), or convolutions and pooling for images (conv16k3p1,pool2,conv32k3p1,pool2,flatten; see docs/cli.md)").default(parseLayerSpec("--layers", "32,32"), "32,32").argParser(layerSpecOption("--layers")))
    .addOption(new Option("--image-shape <CxHxW>", "the rows are images of this shape (e.g. 1x8x8), for conv and pool layers on a CSV file").argParser(imageShapeOption("--image-shape")))
    .addOption(new Option("--activation <name>", `hidden-layer activation: ${ACTIVATIONS.join(", ")}`).default("sigmoid").argParser(choice("--activation", ACTIVATIONS)))
    .addOption(new Option("--loss <name>", `${LOSSES.join(" or ")} (default: mse, on one-hot targets for classes)`).argParser(choice("--loss", LOSSES)))
    .addOption(new Option("--optimizer <name>", `${OPTIMIZERS.join(", ")} (momentum = SGD with momentum 0.9)`).default("sgd").argParser(choice("--optimizer", OPTIMIZERS)))
    .addOption(new Option("--lr <rate>", "learning rate (default: 5 for sgd, 0.2 for momentum on classes; 0.05 and 0.01 on a regression target; 0.003 for adam/adamw)").argParser(positiveNumber("--lr")))
    .addOption(new Option("--epochs <n>", "passes over the training rows").default(60).argParser(positiveInteger("--epochs")))
    .addOption(new Option("--batch-size <n>", "rows per gradient step").default(16).argParser(positiveInteger("--batch-size")))
    .addOption(new Option("--val-split <fraction>", "share of rows held out for validation").default(0.2).argParser(fraction("--val-split")))
    .addOption(new Option("--seed <n>", "random seed: weights, split and shuffling").default(0).argParser(nonNegativeInteger("--seed")))
    .addOption(new Option("--dtype <dtype>", "float32 or float64").default("float32").argParser(choice("--dtype", DTYPES)))
    .option("--no-standardize", "feed the raw features (default: scale each to mean 0, std 1 on the training rows)")
    .addOption(new Option("--impute <how>", "fill missing feature cells (empty, NA, NaN, ?) with the column's mean or median (text columns: the most frequent category) instead of stopping").argParser(choice("--impute", IMPUTE)))
    .addOption(new Option("--delimiter <char>", "CSV delimiter: a character, or comma, semicolon, tab, whitespace (default: detected from the first lines)").argParser(delimiterOption("--delimiter")))
    .addOption(new Option("--max-classes <n>", "refuse a classification with more classes than this (a quantity taken for class labels)").default(DEFAULT_MAX_CLASSES).argParser(positiveInteger("--max-classes")))
    .option("--out <dir>", "run directory for the model, config, curves and checkpoint (default: runs/run-<time>); an existing run there is refused unless --force")
    .option("--force", "let --out replace a run directory that already holds a run")
    .option("--detect-anomaly", "record where each op was created and check every backward for NaN/Inf, naming the op that produced it; a NaN/Inf loss names the forward op that made it (slower; for a run that diverged)")
    .option("--resume <dir>", "continue the run saved in this directory; --epochs, --lr and --optimizer may change (recorded in config.json), --data says where the data is now")
    // Character models (issue #15): --task chars.
    .addOption(new Option("--model <kind>", "--task chars: transformer, lstm or gru (default: transformer)").argParser(choice("--model", CHAR_MODELS)))
    .addOption(new Option("--context <n>", "--task chars: characters the model sees at once (default: 16)").argParser(positiveInteger("--context")))
    .addOption(new Option("--embed <n>", "--task chars: width of the character embedding (default: 64)").argParser(positiveInteger("--embed")))
    .addOption(new Option("--heads <n>", "--task chars, transformer: attention heads, dividing --embed (default: 4)").argParser(positiveInteger("--heads")))
    .addOption(new Option("--hidden <n>", "--task chars: the transformer's MLP width (default: 4 × embed) or the LSTM/GRU state size (default: 128)").argParser(positiveInteger("--hidden")))
    .addHelpText("after", TRAIN_EXAMPLES)
    .action(async (opts: Omit<TrainOptions, "debug" | "task"> & CharFlags, cmd: Command) => {
      const given = (k: string) => cmd.getOptionValueSource(k) === "cli";
      if (opts.task === "chars" || (opts.resume !== undefined && (await import("./chars-run.js")).isCharsRun(opts.resume))) {
        const { charsTrainCommand } = await import("./chars-train.js");
        const { options, resume } = charsOptions(opts, cmd);
        await charsTrainCommand(options, resume, process.stdout, process.stderr);
        return;
      }
      const charsOnly = CHAR_FLAGS.filter((k) => given(k));
      if (charsOnly.length > 0) throw new UsageError(`${charsOnly.map((k) => flagOf(cmd, k)).join(", ")}: ${charsOnly.length === 1 ? "belongs" : "belong"} to character models; add --task chars (or leave ${charsOnly.length === 1 ? "it" : "them"} out)`);
      const { trainCommand } = await import("./train.js");
      if (opts.resume) {
        // A resumed run keeps the options in its config.json; these may change.
        const changeable = ["resume", "epochs", "lr", "optimizer", "data", "detectAnomaly"];
        const fixed = cmd.options.map((o) => o.attributeName()).filter((k) => !changeable.includes(k) && given(k));
        if (fixed.length > 0) {
          const flags = cmd.options.filter((o) => fixed.includes(o.attributeName())).map((o) => o.long);
          throw new UsageError(`${flags.join(", ")} cannot be combined with --resume: a resumed run continues with the options in its config.json (only --epochs, --lr, --optimizer and --data may change)`);
        }
      }
      const resume = {
        epochs: given("epochs") ? opts.epochs : undefined,
        lr: given("lr") ? opts.lr : undefined,
        optimizer: given("optimizer") ? opts.optimizer : undefined,
        data: given("data") ? opts.data : undefined,
      };
      await trainCommand({ ...opts, task: opts.task, debug: false }, resume, process.stdout, process.stderr);
    });

  program.command("sample")
    .description("generate items, one per line, from a character model trained with `backprop train --task chars`")
    .requiredOption("--model <dir>", "a run directory written by `backprop train --task chars`")
    .addOption(new Option("--count <n>", "items to generate").default(20).argParser(positiveInteger("--count")))
    .addOption(new Option("--temperature <t>", "divides the logits: below 1 safer, above 1 more surprising").default(1).argParser(positiveNumber("--temperature")))
    .addOption(new Option("--top-k <k>", "draw each character among the k most likely only (default: all)").argParser(positiveInteger("--top-k")))
    .addOption(new Option("--seed <n>", "seed of the sampling generator").default(0).argParser(nonNegativeInteger("--seed")))
    .option("--prefix <text>", "start every item with these characters", "")
    .addOption(new Option("--max-length <n>", "characters per item at most, the prefix included (default: twice the longest training item)").argParser(positiveInteger("--max-length")))
    .option("--allow-incomplete", "sample from a model whose training did not complete (interrupted, diverged), with a warning")
    .addHelpText("after", SAMPLE_EXAMPLES)
    .action(async (opts: { model: string; count: number; temperature: number; topK?: number; seed: number; prefix: string; maxLength?: number; allowIncomplete?: boolean }) => {
      const { sampleCommand } = await import("./sample-command.js");
      sampleCommand(opts, process.stdout, process.stderr);
    });

  program.command("predict")
    .description("predict with a trained model: CSV rows (or IDX images) in, one prediction per row out (CSV on stdout)")
    .requiredOption("--model <dir>", "a run directory written by `backprop train`")
    .argument("<file>", "rows to predict: a CSV file, or an IDX file of images (t10k-images-idx3-ubyte[.gz])")
    .addOption(new Option("--delimiter <char>", "CSV delimiter (default: detected)").argParser(delimiterOption("--delimiter")))
    .option("--allow-incomplete", "predict with a model whose training did not complete (interrupted, diverged, still running), with a warning")
    .addHelpText("after", PREDICT_EXAMPLES)
    .action(async (file: string, opts: { model: string; delimiter?: string; allowIncomplete?: boolean }) => {
      const { predictCommand } = await import("./predict.js");
      predictCommand(opts.model, file, process.stdout, { delimiter: opts.delimiter, allowIncomplete: opts.allowIncomplete === true, warn: process.stderr });
    });

  program.command("explain")
    .description("show the chain rule at work: each parameter's gradient as the product of the factors along the recorded graph, checked against autograd and finite differences")
    .option("--model <dir>", "a run directory (default: a freshly initialised lecture network on digits)")
    .addOption(new Option("--batch <n>", "rows in the batch").default(4).argParser(positiveInteger("--batch")))
    .addOption(new Option("--entries <n>", "entries per parameter checked by finite differences").default(3).argParser(positiveInteger("--entries")))
    .option("--graph <file>", "also write the computation graph (.svg or .dot)")
    .addOption(new Option("--seed <n>", "seed for the fresh network and the sampled entries").default(0).argParser(nonNegativeInteger("--seed")))
    .option("--data <name|file|dir>", "with --model: the model's data, where it is now (default: the path in config.json)")
    .addHelpText("after", EXPLAIN_EXAMPLES)
    .action(async (opts: { model?: string; batch: number; entries: number; graph?: string; seed: number; data?: string }) => {
      if (opts.data !== undefined && !opts.model) throw new UsageError("--data: needs --model (without it, explain uses the bundled digits)");
      if (opts.graph && !/\.(svg|dot)$/i.test(opts.graph)) throw new UsageError(`--graph ${opts.graph}: the file name must end in .svg or .dot`);
      const { explainCommand } = await import("./explain-command.js");
      explainCommand(opts, process.stdout);
    });

  program.command("gradcheck")
    .description("compare the model's gradients with finite differences in float64 and give a verdict")
    .option("--model <dir>", "a run directory (default: a freshly initialised lecture network on digits)")
    .addOption(new Option("--batch <n>", "rows in the batch").default(8).argParser(positiveInteger("--batch")))
    .addOption(new Option("--seed <n>", "seed for the fresh network").default(0).argParser(nonNegativeInteger("--seed")))
    .addOption(new Option("--max-entries <n>", "entries checked per parameter; a larger parameter is sampled evenly").default(5000).argParser(positiveInteger("--max-entries")))
    .option("--data <name|file|dir>", "with --model: the model's data, where it is now (default: the path in config.json)")
    .addHelpText("after", GRADCHECK_EXAMPLES)
    .action(async (opts: { model?: string; batch: number; seed: number; maxEntries: number; data?: string }) => {
      if (opts.data !== undefined && !opts.model) throw new UsageError("--data: needs --model (without it, gradcheck uses the bundled digits)");
      const { gradcheckCommand } = await import("./gradcheck-command.js");
      if (!gradcheckCommand(opts, process.stdout)) process.exitCode = 1;
    });

  // backprop export (issue #16): a run out to PyTorch (or ONNX)
  program.command("export")
    .description("export a run: --format pytorch writes model.py, weights, optimizer state, data and a train.py that continues on N processes")
    .requiredOption("--model <dir>", "a run directory written by `backprop train` (or by an exported train.py)")
    .addOption(new Option("--format <format>", "pytorch (a folder for PyTorch) or onnx (a .onnx file)").makeOptionMandatory().argParser(choice("--format", ["pytorch", "onnx"] as const)))
    .requiredOption("--out <path>", "the folder to write (pytorch) or the file (onnx)")
    .addOption(new Option("--check-rows <n>", "rows in the fixed batch of the next-step check").default(256).argParser(positiveInteger("--check-rows")))
    .option("--force", "overwrite an earlier export in --out")
    .addHelpText("after", `
Examples:
  $ backprop export --format pytorch --model runs/x --out runs/x-pytorch
  $ python3 runs/x-pytorch/train.py --check-next-step          the next step agrees with backprop's
  $ torchrun --nproc_per_node=4 runs/x-pytorch/train.py --epochs 5 --out runs/x-back
  $ backprop train --resume runs/x-back --epochs 20             and back (predict reads it too)
`)
    .action(async (opts: { model: string; out: string; format: "pytorch" | "onnx"; checkRows: number; force?: boolean }) => {
      const { exportCommand } = await import("./export-command.js");
      exportCommand(opts, process.stdout);
    });

  for (const cmd of [train, ...program.commands]) cmd.exitOverride().configureOutput({ outputError: () => {} }).showSuggestionAfterError(true);
  return program;
}

/** The options only character models take (attribute names). */
const CHAR_FLAGS = ["model", "context", "embed", "heads", "hidden"] as const;
/** Table options that mean nothing to a character model. */
const TABLE_FLAGS = ["target", "imageShape", "activation", "loss", "standardize", "impute", "delimiter", "maxClasses"];
/** What --resume of a character run may change. */
const CHARS_RESUME_FLAGS = ["resume", "task", "epochs", "lr", "optimizer", "data", "detectAnomaly"];

interface CharFlags {
  task?: TrainOptions["task"] | "chars";
  model?: (typeof CHAR_MODELS)[number];
  context?: number;
  embed?: number;
  heads?: number;
  hidden?: number;
}

const flagOf = (cmd: Command, key: string) => cmd.options.find((o) => o.attributeName() === key)?.long ?? key;

/** The given train flags as options of a character run; table-only flags, and fixed ones with --resume, are refused. */
function charsOptions(opts: Omit<TrainOptions, "debug" | "task"> & CharFlags, cmd: Command): { options: CharsTrainOptions; resume: { epochs?: number; lr?: number; optimizer?: TrainOptions["optimizer"]; data?: string } } {
  const given = (k: string) => cmd.getOptionValueSource(k) === "cli";
  const flags = (keys: string[]) => keys.map((k) => flagOf(cmd, k)).join(", ");
  if (opts.task !== undefined && opts.task !== "chars") throw new UsageError(`--task ${opts.task}: the run in ${opts.resume} is a character model (--task chars); leave --task out to continue it`);
  const tableOnly = TABLE_FLAGS.filter(given);
  if (tableOnly.length > 0) throw new UsageError(`${flags(tableOnly)}: ${tableOnly.length === 1 ? "does" : "do"} not apply to a character model (--task chars), which reads one item per line and predicts each next character`);
  if (opts.resume !== undefined) {
    const fixed = cmd.options.map((o) => o.attributeName()).filter((k) => given(k) && !CHARS_RESUME_FLAGS.includes(k));
    if (fixed.length > 0) throw new UsageError(`${flags(fixed)} cannot be combined with --resume: a resumed run continues with the options in its config.json (only --epochs, --lr, --optimizer and --data may change)`);
  }
  let layers: number | undefined;
  if (given("layers")) {
    const spec = opts.layers;
    if (spec.length !== 1 || spec[0].kind !== "dense") throw new UsageError(`--layers: with --task chars it is the number of transformer blocks or LSTM/GRU layers, one whole number (e.g. --layers 2)`);
    layers = spec[0].units;
  }
  const pickGiven = <K extends keyof typeof opts>(k: K) => (given(k as string) ? opts[k] : undefined);
  return {
    options: {
      data: pickGiven("data"), model: opts.model, context: opts.context, embed: opts.embed, layers, heads: opts.heads, hidden: opts.hidden,
      optimizer: pickGiven("optimizer"), lr: opts.lr, epochs: pickGiven("epochs"), batchSize: pickGiven("batchSize"), valSplit: pickGiven("valSplit"),
      seed: pickGiven("seed"), dtype: pickGiven("dtype"), out: opts.out, force: opts.force, resume: opts.resume, detectAnomaly: opts.detectAnomaly,
    },
    resume: { epochs: pickGiven("epochs"), lr: opts.lr, optimizer: pickGiven("optimizer"), data: pickGiven("data") },
  };
}

/** Commander's "error: unknown option '--lrr'\n(Did you mean --lr?)" as one line, prefixed with the command. */
function usageLine(err: CommanderError, command: string): string {
  const text = err.message.replace(/^error:\s*/i, "").replace(/\s*\n\s*/g, " ").replace(/\(Did you mean/, "(did you mean");
  return `${command}: ${text}${err.code === "commander.unknownOption" || err.code === "commander.unknownCommand" ? "; see --help" : ""}`;
}

async function main(argv: string[]): Promise<number> {
  const debug = argv.includes("--debug");
  const args = argv.filter((a) => a !== "--debug");
  const command = ["backprop", args.find((a) => !a.startsWith("-")) ?? ""].join(" ").trim();
  try {
    await buildProgram().parseAsync(args, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0) return 0;
      if (err.code === "commander.help") return EXIT_USAGE; // no command given: the help was printed
      process.stderr.write(`${usageLine(err, command)}\n`);
      return EXIT_USAGE;
    }
    const code = exitCodeFor(err);
    const text = oneLine(err);
    // Library messages start with their op ("predict: …"); do not say the command twice.
    const sub = command.split(" ")[1] ?? "";
    process.stderr.write(`${command}: ${sub && text.startsWith(`${sub}: `) ? text.slice(sub.length + 2) : text}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return code;
  }
}

// A closed pipe (`backprop predict … | head`) is the reader's choice, not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
