// The pg driver's protocol parser (pg-protocol) gathers a message that spans socket
// chunks in a buffer it doubles as the message grows: a 1.6 MB matrix value or a 1 MiB
// blob chunk read 64 kB at a time goes through new buffers of 256 kB, 512 kB, 1 MB and
// 2 MB, ~4 MB of fresh memory whose every page is faulted in as it is written (a 1.6 MB
// matrix read spent ~1.6 ms copying there, GC aside). Here a large message is gathered in
// a buffer of its own size, taken from a few kept for the purpose, and the buffer is kept
// again once the parser lets go of it.
//
// Reusing the memory is safe because whoever gets a message from the parser takes what it
// keeps of it before the next chunk is parsed: pg decodes rows, errors and notices into
// strings, copyOut copies bytea values (copyEach's views are valid during its callback
// only), and the parser itself already moves the bytes left after a message over that
// message whenever they fit in its buffer. What is new is the scope of that rule: a kept
// buffer goes to whichever connection reads a large message next, so a view held past its
// callback would show another connection's data, not only the same connection's.
import { createRequire } from "node:module";

/** What of pg-protocol's Parser this relies on: its buffer, its cursors and two methods. */
export interface ParserState {
  buffer: Buffer;
  bufferLength: number;
  bufferOffset: number;
}
export interface ParserMethods {
  parse(this: ParserState, chunk: Buffer, callback: (message: unknown) => void): void;
  mergeBuffer(this: ParserState, chunk: Buffer): void;
}

/** Messages of this many bytes or more are gathered in a buffer of their size. */
export const LARGE_MESSAGE = 256 * 1024;
/** Room past the message for the bytes that follow it in its last chunk (a socket reads 64 kB at most). */
const SLACK = 128 * 1024;
/** Buffers kept, and the largest kept (a database blob chunk is 1 MiB, an inline matrix at most 4). */
const KEEP = 4;
const KEEP_BYTES = 8 * 1024 * 1024;
/**
 * Messages claiming more than this grow as pg-protocol grows them, as their bytes come: a
 * length read from a stream out of step could ask for up to 4 GB at once.
 */
const GATHER_AT_MOST = 1024 * 1024 * 1024;

const kept: Buffer[] = [];
/** The buffer each parser has of the kept ones, while it has it. */
const lent = new WeakMap<ParserState, Buffer>();

/** The smallest kept buffer of at least bytes, or a new one. */
function take(bytes: number): Buffer {
  let best = -1;
  kept.forEach((b, i) => {
    if (b.length >= bytes && (best < 0 || b.length < kept[best].length)) best = i;
  });
  if (best >= 0) return kept.splice(best, 1)[0];
  return Buffer.allocUnsafeSlow(Math.ceil(bytes / SLACK) * SLACK);
}

function keep(buffer: Buffer): void {
  if (buffer.length > KEEP_BYTES) return;
  if (kept.length < KEEP) kept.push(buffer);
  else {
    // the smallest goes: a larger buffer serves every message the smaller one would
    const smallest = kept.reduce((s, b, i) => (b.length < kept[s].length ? i : s), 0);
    if (kept[smallest].length < buffer.length) kept[smallest] = buffer;
  }
}

/**
 * Wraps mergeBuffer and parse on the parser's prototype. mergeBuffer: when the bytes held
 * begin a large message that the buffer has no room for, they move to a buffer of the
 * message's size first (the original then copies the chunk in without growing). parse:
 * afterwards, a lent buffer the parser no longer holds (its messages all handled) is kept.
 */
export function gatherLargeMessages(prototype: ParserMethods): void {
  const { parse, mergeBuffer } = prototype;
  // another version of pg-protocol, without these methods: left as it is
  if (typeof parse !== "function" || typeof mergeBuffer !== "function" || (parse as { gathering?: boolean }).gathering) return;
  prototype.mergeBuffer = function (this: ParserState, chunk: Buffer): void {
    // a message starts at bufferOffset: a type byte, then its length (without the type byte)
    if (this.bufferLength >= 5) {
      const message = 1 + this.buffer.readUInt32BE(this.bufferOffset + 1);
      const held = this.bufferLength + chunk.length;
      if (message >= LARGE_MESSAGE && message <= GATHER_AT_MOST && this.bufferOffset + held > this.buffer.length) {
        // a lent buffer that holds the message takes it at its start (copy moves overlapping bytes)
        const before = lent.get(this);
        const fits = before === this.buffer && before.length >= Math.max(message, held);
        const room = fits ? before : take(Math.max(message, held) + SLACK);
        this.buffer.copy(room, 0, this.bufferOffset, this.bufferOffset + this.bufferLength);
        if (!fits) {
          if (before) keep(before);
          lent.set(this, room);
          this.buffer = room;
        }
        this.bufferOffset = 0;
      }
    }
    mergeBuffer.call(this, chunk);
  };
  const gathered = function (this: ParserState, chunk: Buffer, callback: (message: unknown) => void): void {
    parse.call(this, chunk, callback);
    const mine = lent.get(this);
    if (mine && this.buffer !== mine) {
      lent.delete(this);
      keep(mine);
    }
  };
  (gathered as { gathering?: boolean }).gathering = true;
  prototype.parse = gathered;
}

/** The prototype of the Parser the installed pg driver uses. */
export function pgParserPrototype(): ParserMethods {
  const fromPg = createRequire(require.resolve("pg"));
  return (fromPg("pg-protocol/dist/parser") as { Parser: { prototype: ParserMethods } }).Parser.prototype;
}
