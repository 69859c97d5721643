import fc from "fast-check";
import { GATHER_FROM, gatherChunks } from "./socketChunks";

/** As pglite-socket's handler reads: each chunk appended to the bytes held, whole messages taken from their head. */
class Reassembler {
  messageBuffer = Buffer.alloc(0);
  readonly calls: number[] = [];
  readonly messages: Buffer[] = [];

  async handleData(data: Buffer): Promise<number> {
    this.calls.push(data.length);
    this.messageBuffer = Buffer.concat([this.messageBuffer, data]);
    while (this.messageBuffer.length >= 5) {
      const length = 1 + this.messageBuffer.readInt32BE(1);
      if (this.messageBuffer.length < length) break;
      this.messages.push(this.messageBuffer.subarray(0, length));
      this.messageBuffer = this.messageBuffer.subarray(length);
    }
    return 0;
  }
}
gatherChunks(Reassembler.prototype);

function message(type: string, bodyBytes: number, fill: number): Buffer {
  const m = Buffer.alloc(1 + 4 + bodyBytes, fill);
  m.write(type, 0, "latin1");
  m.writeInt32BE(4 + bodyBytes, 1);
  return m;
}

describe("the embedded database's socket: chunks of a large message handed over whole", () => {
  test("messages of any sizes in chunks of any sizes arrive whole and in order, a large one in a few calls", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: GATHER_FROM, max: 3 * GATHER_FROM })), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1000, max: 200_000 }),
        async (sizes, firstBytes, chunkBytes) => {
          const sent = sizes.map((n, i) => message(i % 2 ? "B" : "Q", n, i));
          const stream = Buffer.concat(sent);
          const handler = new Reassembler();
          // a few tiny chunks first (a message's head may come a byte at a time), then larger ones
          const cuts = [0, firstBytes, 2 * firstBytes];
          while (cuts[cuts.length - 1] < stream.length) cuts.push(cuts[cuts.length - 1] + chunkBytes);
          for (let k = 1; k < cuts.length; k++) await handler.handleData(stream.subarray(cuts[k - 1], cuts[k]));
          expect(handler.messages.length).toBe(sent.length);
          handler.messages.forEach((m, i) => expect(m.equals(sent[i])).toBe(true));
          // a large message costs a few calls (chunks until its 5-byte head is held, then the
          // rest in one), whatever its chunk count; chunks with small messages' bytes pass one by one
          const chunksOfSmall = new Set<number>();
          let start = 0;
          for (const m of sent) {
            for (let k = 1; k < cuts.length; k++) if (m.length < GATHER_FROM && cuts[k - 1] < start + m.length && cuts[k] > start) chunksOfSmall.add(k);
            start += m.length;
          }
          expect(handler.calls.length).toBeLessThanOrEqual(2 + chunksOfSmall.size + 6 * sent.filter((m) => m.length >= GATHER_FROM).length);
        },
      ),
      { numRuns: 40 },
    );
  });

  test("a large message read a 64 kB chunk at a time reaches the handler in two calls, not one per chunk", async () => {
    const big = message("B", 8 * GATHER_FROM, 7);
    const handler = new Reassembler();
    for (let at = 0; at < big.length; at += 65536) await handler.handleData(big.subarray(at, at + 65536));
    expect(handler.calls).toEqual([65536, big.length - 65536]);
    expect(handler.messages[0].equals(big)).toBe(true);
  });
});
