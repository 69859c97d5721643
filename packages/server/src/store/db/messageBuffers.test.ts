import fc from "fast-check";
import { LARGE_MESSAGE, gatherLargeMessages, pgParserPrototype, type ParserMethods, type ParserState } from "./messageBuffers";

type Parser = ParserMethods & ParserState;
// pg-protocol's own Parser (this file never opens a database, so it is as published), and
// one whose prototype gathers large messages
const Published = pgParserPrototype().constructor as new () => Parser;
class Gathering extends Published {}
gatherLargeMessages(Gathering.prototype);

/** A CopyData message ('d', its length, the payload). */
function copyData(payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write("d", 0, "latin1");
  head.writeInt32BE(4 + payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Feeds the chunks; each message's payload is copied as it comes, as pg's consumers take theirs. */
function reader(parser: Parser): { feed: (chunk: Buffer) => void; got: Buffer[] } {
  const got: Buffer[] = [];
  const callback = (message: unknown) => got.push(Buffer.from((message as { chunk: Buffer }).chunk));
  return { feed: (chunk) => parser.parse(chunk, callback), got };
}

function cut(stream: Buffer, first: number, size: number): Buffer[] {
  const chunks = [stream.subarray(0, first)];
  for (let at = first; at < stream.length; at += size) chunks.push(stream.subarray(at, at + size));
  return chunks;
}

describe("the pg driver's parser: large messages gathered in kept buffers", () => {
  test("messages of any sizes, cut anywhere, read by parsers taking turns, arrive as sent", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: LARGE_MESSAGE - 8, max: 3 * LARGE_MESSAGE })), { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1000, max: 200_000 })), { minLength: 3, maxLength: 3 }),
        fc.integer(),
        (sizes, cuts, seed) => {
          // payloads of their own bytes: one written over by another's would show
          let x = seed >>> 0 || 1;
          const payloads = sizes.map((n) => {
            const p = Buffer.allocUnsafe(n);
            for (let j = 0; j < n; j++) p[j] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
            return p;
          });
          const stream = Buffer.concat(payloads.map(copyData));
          const streams = cuts.map(([first, size]) => cut(stream, first, size));
          const readers = [reader(new Published()), reader(new Gathering()), reader(new Gathering())];
          // turn by turn, so the two gathering parsers hand kept buffers to each other
          for (let k = 0; k < Math.max(...streams.map((s) => s.length)); k++) {
            readers.forEach((r, i) => streams[i][k] && r.feed(streams[i][k]));
          }
          for (const r of readers) {
            expect(r.got.length).toBe(payloads.length);
            r.got.forEach((p, i) => expect(p.equals(payloads[i])).toBe(true));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  test("one large message after another, 64 kB at a time, is gathered in the same memory each time", () => {
    /** The buffers a parser gathers six 1 MiB messages in (past each one's first chunk, which is the socket's). */
    const gatheredIn = (parser: Parser) => {
      const buffers = new Set<Buffer>();
      const { feed, got } = reader(parser);
      for (let i = 0; i < 6; i++) {
        const payload = Buffer.alloc(1024 * 1024, i + 1);
        for (const chunk of cut(copyData(payload), 65536, 65536)) {
          feed(chunk);
          if (parser.bufferLength > 65536) buffers.add(parser.buffer);
        }
        expect(got[i].equals(payload)).toBe(true);
      }
      return buffers.size;
    };
    // pg-protocol doubles its buffer as the message grows (256 kB, 512 kB, 1 MB, 2 MB), new
    // ones for each message: three of them held between chunks, the last let go in its call
    expect(gatheredIn(new Published())).toBeGreaterThanOrEqual(6 * 3);
    expect(gatheredIn(new Gathering())).toBe(1);
  });

  test("a length beyond 1 GB (a stream out of step) grows as the bytes come, not all at once", () => {
    const parser = new Gathering();
    const { feed, got } = reader(parser);
    const head = Buffer.alloc(5);
    head.write("d", 0, "latin1");
    head.writeUInt32BE(0xf0000000, 1);
    feed(Buffer.concat([head, Buffer.alloc(65536)]));
    for (let i = 0; i < 4; i++) feed(Buffer.alloc(65536));
    expect(got).toEqual([]);
    expect(parser.bufferLength).toBe(5 + 5 * 65536);
    expect(parser.buffer.length).toBeLessThan(4 * 1024 * 1024);
  });
});
