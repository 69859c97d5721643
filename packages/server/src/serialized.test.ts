import { serialized } from "./serialized";

describe("serialized", () => {
  test("runs one at a time; calls made during a run share one more run after it", async () => {
    let runs = 0;
    let active = 0;
    let most = 0;
    const seen: number[] = [];
    let state = 0;
    const run = serialized(async () => {
      active++;
      most = Math.max(most, active);
      runs++;
      const at = state;
      await new Promise((r) => setTimeout(r, 20));
      active--;
      seen.push(at);
      return at;
    });
    const first = run();
    state = 1; // written after the first run read the state: the calls below must see it
    const second = run();
    const third = run();
    expect(await first).toBe(0);
    expect(await second).toBe(1);
    expect(await third).toBe(1);
    expect(runs).toBe(2);
    expect(most).toBe(1);
    expect(await run()).toBe(1); // nothing under way: a run of its own
    expect(runs).toBe(3);
  });

  test("a failed run does not keep the calls made during it from their run", async () => {
    let calls = 0;
    const run = serialized(async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      if (calls === 1) throw new Error("first fails");
      return calls;
    });
    const first = run();
    const second = run();
    await expect(first).rejects.toThrow("first fails");
    expect(await second).toBe(2);
  });

  test("idle waits for the run under way and the one queued behind it", async () => {
    const done: number[] = [];
    const run = serialized(async () => {
      await new Promise((r) => setTimeout(r, 15));
      done.push(done.length);
    });
    void run();
    void run();
    await run.idle();
    expect(done).toEqual([0, 1]);
    await run.idle(); // nothing under way: at once
  });

  test("work that throws before its first await is a rejection, and the next call runs", async () => {
    let calls = 0;
    const run = serialized((): Promise<number> => {
      calls++;
      if (calls === 1) throw new Error("at once");
      return Promise.resolve(calls);
    });
    await expect(run()).rejects.toThrow("at once");
    expect(await run()).toBe(2);
  });
});
