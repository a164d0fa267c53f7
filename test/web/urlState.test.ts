/**
 * The playground's state in the address (web/src/urlState.ts): every valid
 * state reads back exactly; a hostile, truncated or mangled address ends in
 * a valid state with a notice for each setting it could not use, and never
 * throws or hangs (property-based, with fast-check; FUZZ_RUNS scales it).
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DEFAULT_CONFIG, LIMITS, MAX_HIDDEN_LAYERS, MAX_WIDTH, isRegression, validateConfig, type PlaygroundConfig } from "../../web/src/config.js";
import { FEATURE_NAMES } from "../../web/src/data/features.js";
import { DATASETS, DEFAULT_STATE, DEFAULT_VIEW, MAX_STATE_CHARS, MODES, decodeState, encodeState, type PlaygroundState } from "../../web/src/urlState.js";
import { MAX_LINK_POINTS, decodeDrawnPoints, drawable, encodeDrawnPoints, snapPoint } from "../../web/src/data/drawnPointsLink.js";
import { VIEW_EXTENT } from "../../web/src/data/toy.js";
import { DEFAULT_RNN_CONFIG, MAX_HIDDEN } from "../../web/src/recurrent/rnnConfig.js";
import { SEQUENCE_TASKS } from "../../web/src/recurrent/sequenceTask.js";

const SCALE = Number(process.env.FUZZ_RUNS ?? "1");
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

/** Any state the page can be in. */
const stateArb: fc.Arbitrary<PlaygroundState> = fc
  .record({
    dataset: fc.constantFrom(...DATASETS),
    hidden: fc.array(fc.integer({ min: 1, max: MAX_WIDTH }), { maxLength: MAX_HIDDEN_LAYERS }),
    activation: fc.constantFrom("sigmoid", "tanh", "relu", "linear" as const),
    loss: fc.constantFrom("mse", "cross-entropy" as const),
    optimizer: fc.constantFrom("sgd", "momentum", "adam", "adamw" as const),
    learningRate: fc.double({ min: Number.MIN_VALUE, max: LIMITS.maxLearningRate, noNaN: true }),
    batchSize: fc.integer({ min: 1, max: LIMITS.maxBatch }),
    noise: fc.double({ min: 0, max: 1, noNaN: true }),
    trainFraction: fc.double({ min: 0.001, max: 0.999, noNaN: true }),
    seed: fc.integer({ min: 0, max: LIMITS.maxSeed }),
    regularization: fc.constantFrom("none", "l1", "l2" as const),
    regularizationRate: fc.double({ min: 0, max: LIMITS.maxRegularizationRate, noNaN: true }),
    features: fc.subarray([...FEATURE_NAMES], { minLength: 1 }),
    discretize: fc.boolean(),
    showTestData: fc.boolean(),
    mode: fc.constantFrom(...MODES),
    drawn: fc.array(fc.record({ x: fc.double({ min: -10, max: 10, noNaN: true }), y: fc.double({ min: -10, max: 10, noNaN: true }), positive: fc.boolean() }), { maxLength: 40 }),
    recurrent: fc.record({
      task: fc.constantFrom(...SEQUENCE_TASKS),
      steps: fc.integer({ min: 2, max: 20 }),
      hidden: fc.integer({ min: 1, max: MAX_HIDDEN }),
      learningRate: fc.double({ min: Number.MIN_VALUE, max: 10, noNaN: true }),
      seed: fc.integer({ min: 0, max: LIMITS.maxSeed }),
    }),
  })
  .map(({ discretize, showTestData, mode, drawn, recurrent, ...c }) => {
    const config: PlaygroundConfig = { ...DEFAULT_CONFIG, ...c, loss: isRegression(c.dataset) ? "mse" : c.loss };
    // The page snaps each drawn point to the link's grid, and keeps none on data that is not 2-D;
    // the recurrent settings are written only in the recurrent mode.
    return {
      config, view: { discretize, showTestData }, mode, drawn: drawable(c.dataset) ? drawn.map(snapPoint) : [],
      recurrent: mode === "recurrent" ? recurrent : DEFAULT_RNN_CONFIG,
    };
  });

/** What every decoded state must be: usable by the page. */
function expectValid({ state, notices }: ReturnType<typeof decodeState>): void {
  expect(validateConfig(state.config)).toEqual([]);
  expect(typeof state.view.discretize).toBe("boolean");
  expect(typeof state.view.showTestData).toBe("boolean");
  expect(MODES).toContain(state.mode);
  expect(Array.isArray(notices)).toBe(true);
  for (const n of notices) {
    expect(typeof n).toBe("string");
    expect(n.length).toBeLessThan(400); // a notice quotes a bounded piece of the input
  }
}

describe("encodeState / decodeState", () => {
  test("the default state is the page's defaults, and an empty address reads as it without a notice", () => {
    for (const empty of ["", "#", "?"]) expect(decodeState(empty)).toEqual({ state: DEFAULT_STATE, notices: [] });
    expect(decodeState(encodeState(DEFAULT_STATE))).toEqual({ state: DEFAULT_STATE, notices: [] });
  });

  test("a state reads as plain key=value pairs, commas unescaped", () => {
    const text = encodeState({
      config: { ...DEFAULT_CONFIG, dataset: "reg-gauss", features: ["x", "x2", "sinx"], hidden: [4, 2], regularization: "l2", regularizationRate: 0.003 },
      view: { discretize: true, showTestData: false },
      mode: "convnet",
    });
    expect(text).toBe(
      "dataset=reg-gauss&problem=regression&noise=0&train=0.5&batch=10&lr=1&activation=sigmoid&loss=mse&optimizer=sgd" +
        "&reg=l2&regRate=0.003&features=x,x2,sinx&hidden=4,2&seed=1&discretize=1&showTest=0&mode=convnet",
    );
  });

  test("the network mode: links from before the mode selector open the MLP; a bad mode falls back with a notice", () => {
    const old = decodeState("#dataset=xor&problem=classification&hidden=4&seed=2&discretize=0&showTest=1");
    expect(old.state.mode).toBe("mlp");
    expect(old.notices).toEqual([]);
    expect(decodeState("#mode=convnet&dataset=xor")).toEqual({ state: { ...DEFAULT_STATE, config: { ...DEFAULT_CONFIG, dataset: "xor" }, mode: "convnet" }, notices: [] });
    expect(decodeState("mode=hopfield").notices).toEqual(['mode="hopfield" is not a network mode (mlp, convnet, recurrent); using "mlp"']);
    expect(decodeState("mode=convnet&lr=x")).toMatchObject({ state: { mode: "convnet", config: { learningRate: 1 } } });
  });

  test("round trip: every valid state reads back exactly, with no notice", () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        const decoded = decodeState(`#${encodeState(state)}`);
        expect(decoded.notices).toEqual([]);
        expect(decoded.state).toEqual(state);
      }),
      { numRuns: runs(2000) },
    );
  });

  test("each bad setting falls back to its default alone, with a notice naming it", () => {
    const { state, notices } = decodeState("#dataset=spiral&lr=abc&batch=0&hidden=4,99&noise=0.3&seed=-5&features=x,zz&reg=l3&activation=relu");
    expect(state.config).toEqual({ ...DEFAULT_CONFIG, dataset: "spiral", noise: 0.3, activation: "relu" });
    expect(state.view).toEqual(DEFAULT_VIEW);
    expect(notices).toEqual([
      'batch="0" is not a batch size 1..10000; using "10"',
      'lr="abc" is not a learning rate in (0, 100]; using "1"',
      'reg="l3" is not a regularisation (none, l1, l2); using "none"',
      'features="x,zz" is not a comma-separated list of x, y, x2, y2, xy, sinx, siny; using "x,y"',
      'hidden="4,99" is not up to 6 comma-separated widths 1..32; using "8,8"',
      'seed="-5" is not a whole-number seed 0..2147483647; using "1"',
    ]);
  });

  test("numbers: no NaN, Infinity, hex, blanks or out-of-range values get through", () => {
    for (const lr of ["NaN", "Infinity", "-1", "0", "0x10", "1e999", " ", "", "1,5", "101"]) {
      const { state, notices } = decodeState(`lr=${encodeURIComponent(lr)}`);
      expect(state.config.learningRate, lr).toBe(1);
      expect(notices, lr).toHaveLength(1);
    }
    expect(decodeState(`lr=${"1".repeat(4000)}x`).notices).toHaveLength(1); // a long digit run is refused at once
    expect(decodeState(`lr=${"1".repeat(400)}`).notices).toHaveLength(1); // a finite number, but above 100
    expect(decodeState("lr=100").state.config.learningRate).toBe(100);
    expect(decodeState("lr=2.").state.config.learningRate).toBe(2);
    expect(decodeState("lr=.5e1").state.config.learningRate).toBe(5);
    expect(decodeState("lr=1e-3").state.config.learningRate).toBe(0.001);
    expect(decodeState("batch=2.5").state.config.batchSize).toBe(10);
    expect(decodeState("train=1").state.config.trainFraction).toBe(0.5);
  });

  test("settings that contradict each other: the problem type picks the dataset, a regression the loss", () => {
    const a = decodeState("dataset=circle&problem=regression");
    expect(a.state.config.dataset).toBe("reg-plane");
    expect(a.notices).toEqual(['dataset "circle" is not a regression problem; using "reg-plane"']);
    const b = decodeState("dataset=sine&loss=cross-entropy");
    expect([b.state.config.dataset, b.state.config.loss]).toEqual(["sine", "mse"]);
    expect(b.notices).toHaveLength(1);
    expect(decodeState("dataset=sine&problem=sideways").notices).toEqual(['problem="sideways" is not classification or regression; using "regression"']);
  });

  test("unknown keys, repeated keys, prototype names and broken escapes are handled", () => {
    expect(decodeState("foo=1&bar=2").notices).toEqual(['ignored unknown settings "foo", "bar"']);
    expect(decodeState("__proto__=x&constructor=y").state).toEqual(DEFAULT_STATE);
    expect(decodeState("lr=0.5&lr=7").state.config.learningRate).toBe(0.5); // the first one counts
    const broken = decodeState("lr=%E0%A4%A&hidden=%");
    expectValid(broken);
    expect(broken.notices).toHaveLength(2);
  });

  test("a truncated address keeps what came through whole", () => {
    const full = encodeState({ config: { ...DEFAULT_CONFIG, dataset: "xor", hidden: [5, 3], learningRate: 0.03, seed: 123456 }, view: DEFAULT_VIEW, mode: "mlp" });
    for (let cut = 0; cut <= full.length; cut++) {
      const decoded = decodeState(full.slice(0, cut));
      expectValid(decoded);
      if (cut > "dataset=xor&".length) expect(decoded.state.config.dataset).toBe("xor");
    }
    expect(decodeState(full.slice(0, full.indexOf("seed=") + "seed=12".length)).state.config.seed).toBe(12);
  });

  test("an over-long address is read up to MAX_STATE_CHARS, with a notice", () => {
    const { state, notices } = decodeState(`dataset=xor&junk=${"a".repeat(100_000)}`);
    expect(state.config.dataset).toBe("xor");
    expect(notices[0]).toBe(`the link's settings are 100017 characters long; only the first ${MAX_STATE_CHARS} were read`);
  });
});

describe("decodeState fuzzed: always a valid state (plus notices), never a throw", () => {
  const keys = ["dataset", "problem", "noise", "train", "batch", "lr", "activation", "loss", "optimizer", "reg", "regRate", "features", "hidden", "seed", "discretize", "showTest", "mode"];
  const hostileValue = fc.oneof(
    fc.string(),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }), // lone surrogates included
    fc.double().map(String), // NaN, ±Infinity, -0, subnormals
    fc.bigInt({ min: -(10n ** 400n), max: 10n ** 400n }).map(String), // huge integers
    fc.constantFrom("NaN", "Infinity", "-Infinity", "1e309", "0x1F", "%", "%%", "%zz", "%E0%A4%A", "1,,2", ",", "x,x,x", "\u0000", "🧠", "constructor", "__proto__"),
  );
  const pairs = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...keys), fc.string()), hostileValue), { maxLength: 20 });

  test("random strings, including random bytes and unicode", () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" })), (text) => expectValid(decodeState(text))), {
      numRuns: runs(3000),
    });
  });

  test("known and unknown keys with hostile values, raw and escaped", () => {
    fc.assert(
      fc.property(pairs, fc.boolean(), (kv, escape) => {
        const text = kv.map(([k, v]) => (escape ? `${encodeURIComponent(k)}=${encodeURIComponent(v)}` : `${k}=${v}`)).join("&");
        expectValid(decodeState(`#${text}`));
      }),
      { numRuns: runs(3000) },
    );
  });

  test("mutated valid addresses: cut, spliced, characters replaced", () => {
    const mutated = fc
      .tuple(stateArb, fc.nat(), fc.nat(), fc.string({ maxLength: 8 }))
      .map(([state, a, b, insert]) => {
        const text = encodeState(state);
        const i = a % (text.length + 1);
        const j = Math.min(text.length, i + (b % 12));
        return text.slice(0, i) + insert + text.slice(j);
      });
    fc.assert(fc.property(mutated, (text) => expectValid(decodeState(text))), { numRuns: runs(3000) });
  });

  test("huge inputs end quickly", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 3 }), fc.integer({ min: 10_000, max: 200_000 }), (unit, n) => {
        const decoded = decodeState(unit.repeat(Math.ceil(n / unit.length)));
        expectValid(decoded);
        expect(decoded.notices.some((m) => m.startsWith("the link's settings are"))).toBe(true);
      }),
      { numRuns: runs(50) },
    );
  });
});

describe("drawn points in the address", () => {
  const points = [
    { x: 0, y: 0, positive: true },
    { x: -VIEW_EXTENT, y: VIEW_EXTENT, positive: false },
    { x: 1.234, y: -2.5, positive: true },
  ];

  test("four characters a point; snapped points read back exactly, others within half a grid step", () => {
    const text = encodeDrawnPoints(points);
    expect(text).toMatch(/^[A-Za-z0-9_-]{12}$/);
    const back = decodeDrawnPoints(text);
    expect(back.problems).toEqual([]);
    expect(back.points).toEqual(points.map(snapPoint));
    const step = (2 * VIEW_EXTENT) / 2047;
    back.points.forEach((p, i) => {
      expect(Math.abs(p.x - points[i].x)).toBeLessThanOrEqual(step / 2 + 1e-12);
      expect(Math.abs(p.y - points[i].y)).toBeLessThanOrEqual(step / 2 + 1e-12);
      expect(p.positive).toBe(points[i].positive);
    });
    // The corners of the view are grid points.
    expect(back.points[1]).toEqual({ x: -VIEW_EXTENT, y: VIEW_EXTENT, positive: false });
    expect(decodeDrawnPoints(encodeDrawnPoints(back.points)).points).toEqual(back.points);
  });

  test("a state with drawn points and the recurrent mode: round trip through the address", () => {
    const recurrent = { task: "parity" as const, steps: 9, hidden: 5, learningRate: 0.02, seed: 77 };
    const state: PlaygroundState = { config: { ...DEFAULT_CONFIG, dataset: "xor" }, view: DEFAULT_VIEW, mode: "recurrent", drawn: points.map(snapPoint), recurrent };
    const text = encodeState(state);
    expect(text).toContain(`&drawn=${encodeDrawnPoints(points)}`);
    expect(text).toMatch(/&mode=recurrent&rnnTask=parity&rnnT=9&rnnHidden=5&rnnLr=0\.02&rnnSeed=77$/);
    expect(decodeState(`#${text}`)).toEqual({ state, notices: [] });
    // The default MLP link: the mode, no drawn points and no recurrent settings.
    expect(encodeState(DEFAULT_STATE)).toMatch(/&showTest=1&mode=mlp$/);
  });

  test("more than the cap: the link keeps the first MAX_LINK_POINTS, and reading more gives a notice", () => {
    const many = Array.from({ length: MAX_LINK_POINTS + 25 }, (_, i) => snapPoint({ x: (i % 50) / 10 - 2.5, y: Math.floor(i / 50) / 5, positive: i % 3 === 0 }));
    expect(encodeDrawnPoints(many)).toHaveLength(4 * MAX_LINK_POINTS);
    const state: PlaygroundState = { ...DEFAULT_STATE, drawn: many };
    expect(decodeState(encodeState(state)).state.drawn).toEqual(many.slice(0, MAX_LINK_POINTS));
    const tooMany = decodeDrawnPoints(encodeDrawnPoints(many.slice(0, 100)).repeat(4));
    expect(tooMany.points).toHaveLength(MAX_LINK_POINTS);
    expect(tooMany.problems).toEqual([`the link holds 400 drawn points; only the first ${MAX_LINK_POINTS} were used`]);
  });

  test("truncated or hostile drawn points: the readable ones stay, with a notice", () => {
    const text = encodeDrawnPoints(points);
    const cut = decodeState(`#dataset=circle&drawn=${text.slice(0, 10)}`);
    expect(cut.state.drawn).toEqual(points.slice(0, 2).map(snapPoint));
    expect(cut.notices).toEqual(["the drawn points end in 2 stray character(s) (the link was cut?)"]);
    const hostile = decodeState(`#drawn=${text.slice(0, 4)}%21%21%21%21${text.slice(4, 8)}`);
    expect(hostile.state.drawn).toEqual(points.slice(0, 2).map(snapPoint));
    expect(hostile.notices).toEqual(["1 drawn point(s) could not be read"]);
    expect(decodeState("#drawn=____").notices).toEqual(["1 drawn point(s) could not be read"]); // the top bit is set
    const digits = decodeState(`#dataset=digits&drawn=${text}`);
    expect(digits.state.drawn).toEqual([]);
    expect(digits.notices).toEqual(['drawn points apply to 2-D data only, not "digits"; ignored them']);
    const badMode = decodeState("#mode=quantum");
    expect(badMode.state.mode).toBe("mlp");
    expect(badMode.notices).toEqual(['mode="quantum" is not a network mode (mlp, convnet, recurrent); using "mlp"']);
    const badRnn = decodeState("#mode=recurrent&rnnT=21&rnnHidden=3&rnnTask=sum&rnnLr=0");
    expect(badRnn.state.recurrent).toEqual({ ...DEFAULT_RNN_CONFIG, hidden: 3 });
    expect(badRnn.notices).toEqual([
      'rnnTask="sum" is not a sequence task (first-bit, last-bit, parity); using "first-bit"',
      'rnnT="21" is not a sequence length 2..20; using "6"',
      'rnnLr="0" is not a learning rate in (0, 10]; using "0.05"',
    ]);
  });

  test("any text: never throws, at most MAX_LINK_POINTS points, each inside the view", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (text) => {
        const { points: got, problems } = decodeDrawnPoints(text);
        expect(got.length).toBeLessThanOrEqual(MAX_LINK_POINTS);
        for (const p of got) {
          expect(Math.abs(p.x)).toBeLessThanOrEqual(VIEW_EXTENT + 1e-12);
          expect(Math.abs(p.y)).toBeLessThanOrEqual(VIEW_EXTENT + 1e-12);
        }
        expect(Array.isArray(problems)).toBe(true);
      }),
      { numRuns: runs(500) },
    );
  });
});
