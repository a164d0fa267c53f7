/**
 * Fuzzing every reader (fast-check): whatever bytes or text come in, the
 * reader either returns a correct value or throws one of the typed errors a
 * user can act on (BackpropError subclasses, or the CLI's CliDataError); never
 * a TypeError/RangeError from inside, never a hang, never an allocation the
 * input does not justify (a header claiming 2^40 elements must be refused
 * before anything is allocated: such a case would run out of memory here).
 *
 * FUZZ_RUNS scales the number of cases (`npm run fuzz` sets it high).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { readSafetensors } from "../../src/io/index.js";
import { parseCsv, readCsv } from "../../src/data/csv.js";
import { parseIdx, readIdx } from "../../src/data/idx.js";
import { readRawTable } from "../../src/cli/raw-table.js";
import { CliDataError } from "../../src/cli/errors.js";
import { loadCheckpoint, saveCheckpoint } from "../../src/cli/checkpoint.js";
import { readConfig, writeConfig, type RunConfig } from "../../src/cli/run-config.js";
import { loadSavedModel } from "../../src/cli/saved-model.js";

const SCALE = Number(process.env.FUZZ_RUNS ?? "1");
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

/** Counts of how each reader's cases ended, printed at the end (the report's figures). */
const outcomes: Record<string, { value: number; typed: number }> = {};

/** Runs `read`; a typed error or a value passes (`check` then validates the value), anything else fails the property. */
function readsCleanly<T>(reader: string, read: () => T, check: (value: T) => void = () => {}): void {
  const tally = (outcomes[reader] ??= { value: 0, typed: 0 });
  let value: T;
  try {
    value = read();
  } catch (err) {
    if (err instanceof bp.BackpropError || err instanceof CliDataError) {
      expect(err.message.length).toBeGreaterThan(0);
      tally.typed++;
      return;
    }
    throw err;
  }
  tally.value++;
  check(value);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bp-fuzz-"));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  const lines = Object.entries(outcomes).map(([r, o]) => `  ${r}: ${o.value + o.typed} cases, ${o.value} read, ${o.typed} typed errors`);
  console.log(`fuzz outcomes (FUZZ_RUNS scale ${SCALE}):\n${lines.join("\n")}`);
});

// ------------------------------------------------------------ safetensors

/** Numbers that stress size arithmetic: small, huge, negative, fractional, unsafe. */
const awkwardInt = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53 - 1, 2 ** 53, -1, 1.5, 1e300, Number.MAX_VALUE) },
  { weight: 1, arbitrary: fc.integer({ min: -10, max: 1 << 20 }) },
);
const jsonJunk = fc.oneof(fc.constant(null), fc.boolean(), fc.string({ maxLength: 4 }), fc.constant({}), fc.constant([]));
const dtypeName = fc.oneof(fc.constantFrom("F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"), fc.constantFrom("F8", "f32", "", "U64"), jsonJunk);
const headerEntry = fc.record(
  {
    dtype: dtypeName,
    shape: fc.oneof({ weight: 5, arbitrary: fc.array(awkwardInt, { maxLength: 4 }) }, { weight: 1, arbitrary: jsonJunk }),
    data_offsets: fc.oneof({ weight: 5, arbitrary: fc.array(awkwardInt, { minLength: 2, maxLength: 2 }) }, { weight: 1, arbitrary: fc.array(awkwardInt, { maxLength: 3 }) }, { weight: 1, arbitrary: jsonJunk }),
  },
  { requiredKeys: [] },
);
const headerArb = fc.dictionary(fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom("__metadata__", "__proto__", "constructor")), fc.oneof({ weight: 8, arbitrary: headerEntry }, { weight: 1, arbitrary: jsonJunk }, { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.string({ maxLength: 3 }), jsonJunk)) }), { maxKeys: 4 });

/** A safetensors file around a header: the length field may lie. */
const safetensorsBytes = fc.tuple(
  fc.oneof(headerArb.map((h) => JSON.stringify(h)), fc.string({ maxLength: 40 })),
  fc.uint8Array({ maxLength: 96 }),
  fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }, { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }) }),
).map(([header, data, length]) => {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  const lengthField = length === null ? BigInt(json.length) : typeof length === "bigint" ? length : BigInt(Math.max(0, json.length + length));
  new DataView(out.buffer).setBigUint64(0, lengthField, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
});

const count = (t: bp.Tensor) => t.shape.reduce((a, b) => a * b, 1);
const BYTES_PER: Record<string, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

describe("fuzz: safetensors", () => {
  it("any header (lying lengths, dtypes, shapes, overlapping or out-of-range offsets): a DataError or tensors that the bytes justify", () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 4, arbitrary: safetensorsBytes }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) }), (bytes) => {
        readsCleanly("safetensors", () => readSafetensors(bytes, "fuzz.safetensors"), ({ tensors }) => {
          let elements = 0;
          for (const t of Object.values(tensors)) {
            expect(t.data().length).toBe(count(t));
            elements += count(t);
          }
          // Every element comes from at least one byte of the file.
          expect(elements).toBeLessThanOrEqual(bytes.length);
        });
      }),
      { numRuns: runs(2000) },
    );
  });

  it("a valid file with one byte changed or cut short: a DataError or tensors of the declared sizes", () => {
    const sd = { w: bp.tensor([[1, 2], [3, 4]]), b: bp.tensor([1, 2, 3], { dtype: "int32" }), m: bp.tensor([true, false]) };
    const good = bp.serialize(sd, { note: "x" });
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(good.length), (at, value, cut) => {
        const bytes = good.slice(0, cut === 0 ? good.length : cut);
        if (at < bytes.length) bytes[at] = value;
        readsCleanly("safetensors", () => readSafetensors(bytes), ({ tensors }) => {
          for (const t of Object.values(tensors)) expect(count(t) * BYTES_PER[t.dtype]).toBeLessThanOrEqual(bytes.length);
        });
      }),
      { numRuns: runs(1000) },
    );
  });

  it("a header claiming 2^40 elements is refused before allocating (the claimed data is absent)", () => {
    const header = JSON.stringify({ w: { dtype: "F32", shape: [1 << 20, 1 << 20], data_offsets: [0, 4 * 2 ** 40] } });
    const json = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + json.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(json, 8);
    expect(() => readSafetensors(bytes, "huge.safetensors")).toThrow(/huge\.safetensors: .*run past the end of the data section/);
  });
});

// ------------------------------------------------------------ IDX

const idxBytes = fc.tuple(
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  fc.array(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 2 ** 20, 2 ** 31, 2 ** 32 - 1) }), { maxLength: 5 }),
  fc.uint8Array({ maxLength: 80 }),
  fc.boolean(),
).map(([code, ndim, dims, data, zeroMagic]) => {
  const head = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(head.buffer);
  head[0] = zeroMagic ? 0 : 1;
  head[2] = code;
  head[3] = ndim;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
});

const IDX_SIZE: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

describe("fuzz: IDX", () => {
  it("any header and data: a DataError or a tensor whose size is what the file holds", () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 5, arbitrary: idxBytes }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) }), fc.constantFrom(undefined, "int32", "float32", "float64"), (bytes, dtype) => {
        readsCleanly("idx", () => parseIdx(bytes, dtype ? { dtype: dtype as "int32" } : {}, "fuzz-idx"), (t) => {
          expect(t.shape.length).toBe(bytes[3]);
          expect(4 + 4 * bytes[3] + count(t) * IDX_SIZE[bytes[2]]).toBe(bytes.length);
        });
      }),
      { numRuns: runs(2000) },
    );
  });
});

// ------------------------------------------------------------ gzip

describe("fuzz: gzip", () => {
  const file = path.join(tmp, "data.gz");
  const good = gzipSync(parseIdxBytes());
  it("a gzipped IDX file truncated or with a byte changed: a DataError or the tensor", () => {
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 2, max: good.length }), (at, value, cut) => {
        const bytes = Buffer.from(good.subarray(0, cut));
        if (at < bytes.length && at >= 2) bytes[at] = value;
        fs.writeFileSync(file, bytes);
        readsCleanly("gzip", () => readIdx(file), (t) => expect(t.shape).toEqual([3, 2]));
      }),
      { numRuns: runs(400) },
    );
  });
  it("gzip CSV text truncated: a DataError or rows", () => {
    const csv = gzipSync(Buffer.from("a,b,y\n1,2,0\n3,4,1\n5,6,0\n"));
    const csvFile = path.join(tmp, "t.csv.gz");
    fc.assert(
      fc.property(fc.integer({ min: 2, max: csv.length }), fc.nat(csv.length - 1), fc.integer({ min: 0, max: 255 }), (cut, at, value) => {
        const bytes = Buffer.from(csv.subarray(0, cut));
        if (at >= 2 && at < bytes.length) bytes[at] = value;
        fs.writeFileSync(csvFile, bytes);
        readsCleanly("gzip", () => readCsv(csvFile));
      }),
      { numRuns: runs(300) },
    );
  });
});

function parseIdxBytes(): Uint8Array {
  const out = new Uint8Array(4 + 8 + 6);
  out.set([0, 0, 0x08, 2, 0, 0, 0, 3, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6]);
  return out;
}

// ------------------------------------------------------------ CSV

const csvText = fc.array(
  fc.array(fc.oneof(
    { weight: 4, arbitrary: fc.double({ noNaN: false }).map(String) },
    { weight: 2, arbitrary: fc.integer({ min: -3, max: 3 }).map(String) },
    { weight: 2, arbitrary: fc.constantFrom("", "NA", "?", "a", "b", '"x,y"', '"', '""', "1e400", "-0", " 1 ", "Infinity", "0x10", "\u00a0", "#") },
    { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
  ), { maxLength: 5 }),
  { maxLength: 8 },
).chain((rows) => fc.tuple(fc.constantFrom(",", ";", "\t", " "), fc.constantFrom("\n", "\r\n", "\r")).map(([sep, eol]) => rows.map((r) => r.join(sep)).join(eol)));

describe("fuzz: CSV", () => {
  it("parseCsv: any text and options: a DataError/ValueError or a table whose sizes agree", () => {
    fc.assert(
      fc.property(
        fc.oneof({ weight: 4, arbitrary: csvText }, { weight: 1, arbitrary: fc.string({ maxLength: 60 }) }),
        fc.record({ header: fc.constantFrom(undefined, true, false), delimiter: fc.constantFrom(undefined, ",", ";", "whitespace", "\t"), skip: fc.constantFrom(undefined, 0, 1, 5), target: fc.constantFrom(undefined, 0, -1, 7, "a", "zz") }, { requiredKeys: [] }),
        (text, options) => {
          readsCleanly("csv (parseCsv)", () => parseCsv(text, options as bp.data.CsvOptions), (d) => {
            expect(d.features.shape[0]).toBe(d.target.shape[0]);
            expect(d.features.shape[1]).toBe(d.columns.length);
          });
        },
      ),
      { numRuns: runs(2000) },
    );
  });

  it("the CLI's table reader: any text: a CliDataError or a table whose sizes agree", () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 4, arbitrary: csvText }, { weight: 1, arbitrary: fc.string({ maxLength: 60 }) }), fc.constantFrom(undefined, ",", ";", "whitespace"), (text, delimiter) => {
        readsCleanly("csv (CLI table)", () => readRawTable(text, "fuzz.csv", { delimiter }), (t) => {
          expect(t.values.length).toBe(t.rows * t.cols);
          expect(t.names.length).toBe(t.cols);
        });
      }),
      { numRuns: runs(2000) },
    );
  });
});

// ------------------------------------------------------------ a run's config.json and checkpoint

/** A real run directory (config.json, model.safetensors, checkpoint) to damage. */
function makeRun(dir: string): { config: RunConfig; checkpointBytes: Uint8Array } {
  fs.mkdirSync(dir, { recursive: true });
  const config: RunConfig = {
    library: { name: "backpropagation", version: "0" },
    status: "complete",
    architecture: { inputs: 2, hidden: [3], outputs: 2, activation: "sigmoid", outputActivation: "sigmoid" } as RunConfig["architecture"],
    options: { data: "iris", target: null, task: "classify", loss: "mse", optimizer: "adam", lr: 0.01, epochs: 1, batchSize: 2, valSplit: 0, seed: 0, dtype: "float32", standardize: true },
    data: { source: "x.csv", rows: 4, featureNames: ["a", "b"], targetName: "y", numClasses: 2, classNames: null, featureScaling: { mean: [0, 0], std: [1, 1] } as unknown as RunConfig["data"]["featureScaling"], targetScaling: null },
    metrics: {},
    history: [],
  };
  writeConfig(dir, config);
  bp.manualSeed(0);
  const net = new bp.nn.Sequential(new bp.nn.Linear(2, 3), new bp.nn.Sigmoid(), new bp.nn.Linear(3, 2), new bp.nn.Sigmoid());
  bp.save(net.stateDict(), path.join(dir, "model.safetensors"));
  const opt = new bp.optim.Adam(net.parameters(), { lr: 0.01 });
  net.forward(bp.ones([1, 2])).sum().backward();
  opt.step();
  const rng = new bp.Generator(1).getState();
  saveCheckpoint(dir, {
    position: { epoch: 1, nextBatch: 0, shuffleStateAtEpochStart: rng, defaultGeneratorState: rng, running: { lossSum: 0, scoreSum: 0, samples: 0, seconds: 0 }, history: [] },
    model: net.stateDict(),
    optimizer: opt.stateDict(),
  });
  return { config, checkpointBytes: fs.readFileSync(path.join(dir, "checkpoint.safetensors")) };
}

/** Replaces the value at a random path of a JSON value with junk. */
function mutateJson(value: unknown, choices: number[], junk: unknown): unknown {
  if (choices.length === 0 || value === null || typeof value !== "object" || value instanceof bp.Tensor) return junk;
  const keys = Object.keys(value);
  if (keys.length === 0) return junk;
  const k = keys[choices[0] % keys.length];
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as unknown as Record<string, unknown>) : { ...(value as Record<string, unknown>) };
  if (choices[0] % 7 === 6) delete copy[k];
  else copy[k] = mutateJson((value as Record<string, unknown>)[k], choices.slice(1), junk);
  return copy;
}

const jsonValue = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.constantFrom(1e308, -0.5, 2 ** 40, NaN), fc.string({ maxLength: 3 }), fc.constant([]), fc.constant({}), fc.array(fc.integer({ min: -2, max: 4 }), { maxLength: 3 }));

describe("fuzz: a run directory's config.json and checkpoint", () => {
  const dir = path.join(tmp, "run");
  const { config, checkpointBytes } = makeRun(dir);
  const configFile = path.join(dir, "config.json");

  it("config.json with any field replaced, removed or the text cut: predict's model loading gives a CliDataError or a model", () => {
    const text = JSON.stringify(config);
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), jsonValue, fc.option(fc.nat(text.length)), (choices, junk, cut) => {
        const damaged = cut !== null ? text.slice(0, cut) : JSON.stringify(mutateJson(config, choices, junk));
        fs.writeFileSync(configFile, damaged ?? "null");
        readsCleanly("config.json", () => {
          readConfig(dir, "--model");
          return loadSavedModel(dir, "--model");
        });
      }),
      { numRuns: runs(600) },
    );
    writeConfig(dir, config);
  });

  it("checkpoint with its state record changed or its bytes damaged: a CliDataError/DataError or a checkpoint", () => {
    const contents = readSafetensors(checkpointBytes);
    const state = JSON.parse(contents.metadata!.state);
    const file = path.join(dir, "checkpoint.safetensors");
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), jsonValue, fc.nat(checkpointBytes.length - 1), fc.integer({ min: 0, max: 255 }), (inState, choices, junk, at, value) => {
        let bytes: Uint8Array;
        if (inState) {
          bytes = bp.serialize(contents.tensors, { ...contents.metadata!, state: JSON.stringify(mutateJson(state, choices, junk)) });
        } else {
          bytes = checkpointBytes.slice();
          bytes[at] = value;
        }
        fs.writeFileSync(file, bytes);
        readsCleanly("checkpoint", () => loadCheckpoint(dir));
      }),
      { numRuns: runs(1000) },
    );
  });
});

describe("fuzz: optimizer state from a checkpoint", () => {
  it("Adam and SGD loadStateDict with any field replaced or removed: a typed error or a state that steps", () => {
    bp.manualSeed(0);
    const make = (kind: number) => {
      const net = new bp.nn.Sequential(new bp.nn.Linear(2, 3), new bp.nn.Sigmoid(), new bp.nn.Linear(3, 2));
      const opt = kind === 0 ? new bp.optim.Adam(net.parameters(), { lr: 0.01 }) : new bp.optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
      return { net, opt };
    };
    const saved = [0, 1].map((kind) => {
      const { net, opt } = make(kind);
      net.forward(bp.ones([1, 2])).sum().backward();
      opt.step();
      return opt.stateDict();
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), jsonValue, (kind, choices, junk) => {
        const { net, opt } = make(kind);
        const damaged = mutateJson(saved[kind], choices, junk) as Parameters<typeof opt.loadStateDict>[0];
        readsCleanly("optimizer state", () => {
          opt.loadStateDict(damaged);
          net.forward(bp.ones([1, 2])).sum().backward();
          opt.step();
          return true;
        });
      }),
      { numRuns: runs(1000) },
    );
  });
});
