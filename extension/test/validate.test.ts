import { describe, expect, it } from "vitest";
import { BundleError, MAX_ELEMENTS, array, number, record, shape, string, version } from "../src/shared/validate";
import { readTable, numberColumn } from "../src/shared/arrow";
import { arrowBase64 } from "./helpers";

describe("bundle validation", () => {
  it("names the field at fault", () => {
    expect(() => record(3, "bundle")).toThrow(/bundle: expected an object, got a number/);
    expect(() => shape([2, -1], "shape")).toThrow(/shape\[1\]: expected a whole number >= 0/);
    expect(() => shape([1 << 20, 1 << 20], "shape")).toThrow(new RegExp(`more than ${MAX_ELEMENTS}`));
    expect(() => version(2)).toThrow(/version: expected 1, got a number/);
    expect(number(null, "stats.min")).toBeNaN();
    expect(() => number("1", "stats.min")).toThrow(BundleError);
  });

  it("says a field left out is missing, not \"a undefined\"", () => {
    expect(() => string(undefined, "series[0].name")).toThrow("series[0].name: expected a string, got nothing (the field is missing)");
    expect(() => version(undefined)).toThrow("version: expected 1, got nothing (the field is missing)");
    expect(() => array({}, "rows")).toThrow("rows: expected an array, got an object");
  });

  it("reads Arrow columns and names a missing one", () => {
    const t = readTable(arrowBase64({ value: new Float32Array([1, 2, 3]) }), "data");
    expect(Array.from(numberColumn(t, "value", "data"))).toEqual([1, 2, 3]);
    expect(() => numberColumn(t, "step", "data")).toThrow(/data: has no column "step" \(columns: value\)/);
    expect(() => readTable("@@not base64@@", "data")).toThrow(/data: is not valid base64/);
    expect(() => readTable(btoa("hello"), "grad.data")).toThrow(/grad.data: is not an Arrow IPC stream/);
  });
});
