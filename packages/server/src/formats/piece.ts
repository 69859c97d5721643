// What an answer written a piece at a time is made of.

/**
 * A piece of an answer. Its bytes stay as they are until done() is called; then their
 * memory holds later pieces (of this answer or another). Never calling it is safe: the
 * memory is then garbage, collected as usual.
 */
export interface Piece {
  bytes: Buffer;
  done(): void;
}
