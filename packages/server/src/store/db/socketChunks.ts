// The embedded database's loopback socket (pglite-socket) appends every chunk the socket
// reads to the bytes it holds (Buffer.concat), so a message of n bytes costs ~n^2 / 128 kB
// of copying on the main thread: a 96 MB query (4M dates as row labels) took 29 s of
// copying and held the event loop for seconds at a time. Here the chunks of a large
// message still incomplete are held back and handed over in one piece once it is whole.

/** What of pglite-socket's handler this relies on: its method for a chunk read, and the bytes it holds. */
export interface ChunkHandler {
  messageBuffer: Buffer;
  handleData(data: Buffer): Promise<number>;
}

/** Messages shorter than this go through as they come (a chunk or two: nothing to gain). */
export const GATHER_FROM = 1 << 20;

interface Held {
  chunks: Buffer[];
  bytes: number;
}

const held = new WeakMap<object, Held>();

/**
 * Wraps handleData on the handler's prototype so a regular message (a type byte, then its
 * length) of GATHER_FROM bytes or more reaches it in one call once all of it has come.
 * Chunks keep their order: every chunk goes through the held list, which is handed over
 * whole, before the new chunk, whenever anything is handed over.
 */
export function gatherChunks(prototype: ChunkHandler): void {
  const handle = prototype.handleData;
  // another version of pglite-socket, without this method: left as it is
  if (typeof handle !== "function" || (handle as { gathering?: boolean }).gathering) return;
  const gathered = function (this: ChunkHandler, data: Buffer): Promise<number> {
    let h = held.get(this);
    if (!h) held.set(this, (h = { chunks: [], bytes: 0 }));
    h.chunks.push(data);
    h.bytes += data.length;
    const head = Buffer.isBuffer(this.messageBuffer) ? this.messageBuffer : Buffer.alloc(0);
    // the message at the head of the bytes held, when it is a large one not yet whole
    // (a startup or SSL request starts with a zero byte: those are small and pass)
    const need = head.length >= 5 && head[0] >= 0x41 ? 1 + head.readInt32BE(1) : 0;
    if (need >= GATHER_FROM && head.length < need && head.length + h.bytes < need) return Promise.resolve(0);
    const chunks = h.chunks;
    held.set(this, { chunks: [], bytes: 0 });
    return handle.call(this, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, h.bytes));
  };
  (gathered as { gathering?: boolean }).gathering = true;
  prototype.handleData = gathered;
}
