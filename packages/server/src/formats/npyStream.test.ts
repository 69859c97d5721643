import fc from "fast-check";
import { writeNpy } from "./npy";
import { npyHeader, readNpyHeader } from "./npyStream";

const shapes = fc.array(fc.integer({ min: 0, max: 100000 }), { maxLength: 5 });

test("npyHeader is the header writeNpy writes, and readNpyHeader reads it back from any prefix", () => {
  fc.assert(
    fc.property(shapes, (shape) => {
      const header = npyHeader(shape);
      const whole = writeNpy(new Float64Array(0), shape);
      expect(whole.subarray(0, header.length).equals(header)).toBe(true);
      expect(header.length % 64).toBe(0);
      for (let cut = 0; cut < header.length; cut += 7) expect(readNpyHeader(header.subarray(0, cut))).toBeNull();
      expect(readNpyHeader(Buffer.concat([header, Buffer.alloc(3)]))).toEqual({
        descr: "<f8",
        fortranOrder: false,
        shape,
        dataOffset: header.length,
      });
    }),
  );
});

test("readNpyHeader refuses what is not an NPY header", () => {
  expect(() => readNpyHeader(Buffer.from("PK\u0003\u0004 not numpy at all"))).toThrow("bad magic");
  const v9 = npyHeader([2]);
  v9[6] = 9;
  expect(() => readNpyHeader(v9)).toThrow("version 9");
  const huge = npyHeader([2]);
  huge[6] = 2;
  huge.writeUInt32LE(10 * 1024 * 1024, 8);
  expect(() => readNpyHeader(huge)).toThrow("longer than any numpy writes");
});
