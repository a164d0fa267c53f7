/** Turning a list of dataset items into one batch: an array of stacked tensors. */
import { ShapeError, ValueError } from "../errors.js";
import { tensor } from "../tensor/creation.js";
import { stack } from "../ops/shape.js";
import { Tensor } from "../tensor/tensor.js";

/**
 * PyTorch's default collation, for items that are a Tensor, a number, or an
 * array of those: each position becomes one tensor with a new first
 * dimension (numbers become int32 when all are integers, else float32).
 */
export function defaultCollate(items: readonly unknown[]): Tensor[] {
  const first = items[0];
  if (!Array.isArray(first)) return [collateField(items, "the items")];
  const fields: Tensor[] = [];
  for (let j = 0; j < first.length; j++) {
    const column = items.map((item, i) => {
      if (!Array.isArray(item) || item.length !== first.length) {
        throw new ShapeError(`DataLoader: item ${i} of the batch has ${Array.isArray(item) ? item.length : "no"} fields but the first has ${first.length}`);
      }
      return item[j] as unknown;
    });
    fields.push(collateField(column, `field ${j} of the items`));
  }
  return fields;
}

function collateField(values: readonly unknown[], what: string): Tensor {
  if (values[0] instanceof Tensor) {
    try {
      return stack(values as Tensor[]);
    } catch (e) {
      throw new ShapeError(`DataLoader: cannot batch ${what}: ${(e as Error).message}`);
    }
  }
  if (typeof values[0] === "number") {
    const numbers = values as number[];
    return tensor(numbers, { dtype: numbers.every(Number.isInteger) ? "int32" : "float32" });
  }
  throw new ValueError(`DataLoader: cannot batch ${what}: expected Tensors or numbers, got ${values[0] === null ? "null" : typeof values[0]}; pass a collate function for other kinds of items`);
}
