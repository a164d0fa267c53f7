import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";

const { DataLoader, TensorDataset, Subset } = bp.data;

/** x[i] = [i, 10 i], y[i] = i: a batch's y tells which items it holds. */
function numbered(n: number) {
  const x = bp.arange(n).to("float32").unsqueeze(1).mul(bp.tensor([[1, 10]]));
  const y = bp.arange(n);
  return new TensorDataset(x, y);
}

const labels = (batches: Iterable<bp.Tensor[]>) => Array.from(batches, (b) => Array.from(b[1].data()));

describe("TensorDataset", () => {
  it("gives item i as the i-th rows, and checks lengths", () => {
    const ds = numbered(5);
    expect(ds.length).toBe(5);
    const [x, y] = ds.get(3);
    expect(x.toArray()).toEqual([3, 30]);
    expect(y.shape).toEqual([]);
    expect(y.item()).toBe(3);
    expect(ds.get(-1)[1].item()).toBe(4);
    expect(() => ds.get(5)).toThrow("TensorDataset.get: index 5 is out of range for a dataset of 5 items");
    expect(() => new TensorDataset(bp.zeros([4, 2]), bp.zeros([3]))).toThrow(
      "TensorDataset: tensor 1 has shape [3] but tensor 0 has shape [4,2]; all tensors must have the same size in dimension 0 (the number of items)",
    );
    expect(() => new TensorDataset()).toThrow(/expected at least one tensor/);
  });
});

describe("DataLoader", () => {
  it("cuts batches in order, the last one smaller, and counts them", () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches = [...loader];
    expect(batches.length).toBe(3);
    expect(batches.map((b) => b[0].shape)).toEqual([[4, 2], [4, 2], [2, 2]]);
    expect(labels(batches)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(batches[2][0].toArray()).toEqual([[8, 80], [9, 90]]);
    expect(batches[0][1].dtype).toBe("int32");
  });

  it("dropLast leaves out the incomplete batch", () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect(labels(loader)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(new DataLoader(numbered(8), { batchSize: 4, dropLast: true }).length).toBe(2);
    expect(new DataLoader(numbered(3), { batchSize: 4, dropLast: true }).length).toBe(0);
  });

  it("defaults to batches of one, and an empty dataset gives no batches", () => {
    expect(labels(new DataLoader(numbered(3)))).toEqual([[0], [1], [2]]);
    expect([...new DataLoader(new TensorDataset(bp.zeros([0, 2])), { batchSize: 2 })]).toEqual([]);
  });

  it("shuffles: every index exactly once per epoch, a new order each epoch", () => {
    bp.manualSeed(1);
    const loader = new DataLoader(numbered(50), { batchSize: 7, shuffle: true });
    const epoch1 = labels(loader).flat();
    const epoch2 = labels(loader).flat();
    const sorted = (a: number[]) => [...a].sort((p, q) => p - q);
    expect(sorted(epoch1)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(sorted(epoch2)).toEqual(sorted(epoch1));
    expect(epoch1).not.toEqual(epoch2);
    expect(epoch1).not.toEqual(sorted(epoch1));
  });

  it("shuffles reproducibly: the same seed gives the same batches, bit for bit", () => {
    bp.manualSeed(7);
    const x = bp.randn([23, 3]);
    const ds = new TensorDataset(x, bp.arange(23));
    const epoch = () => [...new DataLoader(ds, { batchSize: 5, shuffle: true })].map((b) => Array.from(b[0].data()));
    bp.manualSeed(42);
    const a = epoch();
    bp.manualSeed(42);
    const b = epoch();
    bp.manualSeed(43);
    const c = epoch();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // The same order as randperm draws from the same seed.
    bp.manualSeed(42);
    const perm = Array.from(bp.randperm(23).data());
    bp.manualSeed(42);
    expect(labels(new DataLoader(ds, { batchSize: 23, shuffle: true }))[0]).toEqual(perm);
    // The rows travel with their labels.
    bp.manualSeed(42);
    for (const [xb, yb] of new DataLoader(ds, { batchSize: 5, shuffle: true })) {
      expect(xb.toArray()).toEqual(bp.data.defaultCollate(Array.from(yb.data(), (i) => x.narrow(0, i, 1).squeeze(0)))[0].toArray());
    }
  });

  it("a generator option gives an order independent of the global seed", () => {
    const ds = numbered(30);
    const run = (seed: number) => labels(new DataLoader(ds, { batchSize: 30, shuffle: true, generator: new bp.Generator(seed) }))[0];
    bp.manualSeed(1);
    const a = run(5);
    bp.manualSeed(2);
    const b = run(5);
    expect(a).toEqual(b);
    expect(run(6)).not.toEqual(a);
  });

  it("batches other datasets by stacking items, and Subsets of a TensorDataset by index", () => {
    const squares: bp.data.Dataset<[bp.Tensor, number]> = { length: 5, get: (i) => [bp.tensor([i, i * i]), i % 2] };
    const batches = [...new DataLoader(squares, { batchSize: 2 })];
    expect(batches.length).toBe(3);
    expect(batches[1][0].toArray()).toEqual([[2, 4], [3, 9]]);
    expect(batches[1][1].dtype).toBe("int32");
    expect(batches[1][1].toArray()).toEqual([0, 1]);
    const sub = new Subset(numbered(10), [9, 2, -3]);
    expect(labels(new DataLoader(sub, { batchSize: 2 }))).toEqual([[9, 2], [7]]);
    expect(labels(new DataLoader(new Subset(sub, [2, 0]), { batchSize: 2 }))).toEqual([[7, 9]]);
  });

  it("shuffles a Subset of a TensorDataset: each of its items once, rows and labels together", () => {
    const ds = numbered(20);
    const sub = new Subset(ds, [3, 5, 7, 11, 13, 17, 19]);
    bp.manualSeed(5);
    const batches = [...new DataLoader(sub, { batchSize: 3, shuffle: true })];
    expect(batches.map((b) => b[0].shape[0])).toEqual([3, 3, 1]);
    const seen = batches.flatMap((b) => Array.from(b[1].data()));
    expect([...seen].sort((a, b) => a - b)).toEqual([3, 5, 7, 11, 13, 17, 19]);
    for (const [x, y] of batches) expect(x.toArray()).toEqual(Array.from(y.data(), (i) => [i, 10 * i]));
  });

  it("uses a collate function when given one", () => {
    const loader = new DataLoader(numbered(4), { batchSize: 2, collate: (items) => [bp.stack(items.map((it) => it[0])).sum()] });
    expect([...loader].map((b) => b[0].item())).toEqual([0 + 0 + 1 + 10, 2 + 20 + 3 + 30]);
  });

  it("rejects bad batch sizes and non-datasets with clear errors", () => {
    const ds = numbered(4);
    for (const bad of [0, -2, 1.5, Number.NaN]) {
      expect(() => new DataLoader(ds, { batchSize: bad })).toThrow(`DataLoader: batchSize must be a positive integer, got ${bad}`);
    }
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(bp.ValueError);
    expect(() => new DataLoader([1, 2, 3] as unknown as bp.data.Dataset)).toThrow(/DataLoader: expected a dataset with an integer `length` and a `get\(index\)` method/);
    const ragged: bp.data.Dataset<bp.Tensor> = { length: 2, get: (i) => bp.zeros([i + 1]) };
    expect(() => [...new DataLoader(ragged, { batchSize: 2 })]).toThrow(/DataLoader: cannot batch the items: stack: tensor 1 has shape \[2\] but tensor 0 has shape \[1\]/);
  });
});

describe("randomSplit", () => {
  it("splits by counts into disjoint subsets covering every item", () => {
    const ds = numbered(10);
    const [a, b] = bp.data.randomSplit(ds, [7, 3], { generator: new bp.Generator(0) });
    expect([a.length, b.length]).toEqual([7, 3]);
    const all = [...a.indices, ...b.indices].sort((p, q) => p - q);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(b.get(0)[1].item()).toBe(b.indices[0]);
    const again = bp.data.randomSplit(ds, [7, 3], { generator: new bp.Generator(0) });
    expect(Array.from(again[1].indices)).toEqual(Array.from(b.indices));
  });

  it("splits by fractions as PyTorch does (floor, remainder round-robin)", () => {
    // torch.utils.data.random_split(range(10), [0.5, 0.3, 0.2]) gives lengths 5, 3, 2;
    // for 11 items floor gives 5, 3, 2 and the one left over goes to the first subset.
    expect(bp.data.randomSplit(numbered(10), [0.5, 0.3, 0.2]).map((s) => s.length)).toEqual([5, 3, 2]);
    expect(bp.data.randomSplit(numbered(11), [0.5, 0.3, 0.2]).map((s) => s.length)).toEqual([6, 3, 2]);
    expect(bp.data.randomSplit(numbered(4), [1 / 3, 1 / 3, 1 / 3]).map((s) => s.length)).toEqual([2, 1, 1]);
  });

  it("rejects lengths that do not fit", () => {
    expect(() => bp.data.randomSplit(numbered(10), [5, 4])).toThrow(
      "randomSplit: lengths [5,4] add up to 9, but the dataset has 10 items; give counts that add up to 10, or fractions that add up to 1",
    );
    expect(() => bp.data.randomSplit(numbered(10), [])).toThrow(/non-empty array of non-negative numbers/);
  });
});
