// Payload columns of every Arrow number type read as their values: a 64-bit integer column
// converted (or refused naming the column and row), half floats decoded, nulls as NaN.
import { describe, expect, it } from "vitest";
import { Bool, Float16, Float32, Float64, Int32, Int64, Uint8, Utf8, tableToIPC, vectorFromArray, Table, type DataType } from "apache-arrow";
import { numberColumn, readTable } from "../src/shared/arrow";
import { BundleError } from "../src/shared/validate";

function b64(table: Table): string {
  const bytes = tableToIPC(table, "stream");
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin);
}

/** A one-column table as the renderer receives it. */
function column(values: unknown[], type: DataType): Table {
  const t = new Table({ value: vectorFromArray(values as never[], type) });
  return readTable(b64(t), "data");
}

const fails = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
};

describe("numberColumn", () => {
  it("reads 64-bit integers that fit a double as numbers", () => {
    const v = numberColumn(column([1n, -2n, 2n ** 53n - 1n], new Int64()), "value", "data");
    expect([...v]).toEqual([1, -2, 2 ** 53 - 1]);
  });

  it("refuses a 64-bit integer a double cannot hold, naming the field, column and row", () => {
    const e = fails(() => numberColumn(column([1n, 2n ** 60n], new Int64()), "value", "data"));
    expect(e).toBeInstanceOf(BundleError);
    expect((e as BundleError).field).toBe("data");
    expect(e.message).toContain('column "value" row 1');
    expect(e.message).not.toContain("BigInt");
  });

  it("decodes half floats to their values, not their bits", () => {
    const v = numberColumn(column([1, -2.5, 0.0001, 65504, Infinity], new Float16()), "value", "data");
    expect(v[0]).toBe(1);
    expect(v[1]).toBe(-2.5);
    expect(v[2]).toBeCloseTo(0.0001, 6);
    expect(v[3]).toBe(65504);
    expect(v[4]).toBe(Infinity);
  });

  it("reads nulls as NaN, never 0, in every number type", () => {
    for (const type of [new Float32(), new Float64(), new Int32(), new Uint8(), new Float16()]) {
      const v = numberColumn(column([3, null, 5], type), "value", "data");
      expect([v[0], v[2]]).toEqual([3, 5]);
      expect(v[1]).toBeNaN();
    }
    const big = numberColumn(column([3n, null], new Int64()), "value", "data");
    expect(big[1]).toBeNaN();
  });

  it("refuses a column of strings or booleans naming its type", () => {
    for (const [values, type] of [[["a", "b"], new Utf8()], [[true, false], new Bool()]] as const) {
      const e = fails(() => numberColumn(column([...values], type), "value", "data"));
      expect(e).toBeInstanceOf(BundleError);
      expect(e.message).toMatch(/column "value" holds (Utf8|Bool) values, not numbers/);
    }
  });
});
