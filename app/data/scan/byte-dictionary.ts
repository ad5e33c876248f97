/**
 * A dictionary of byte strings: each distinct cell text of a column gets a provisional id (1, 2, …
 * in order of first appearance) without ever becoming a JavaScript string while the file is read.
 * Making a string per cell was the largest cost of reading (bench/data: csv-parse's strings and
 * the record objects built from them); here the bytes are hashed and compared in place, and only
 * the distinct values (a few thousand in a typical categorical column) are decoded, once, at the end.
 *
 * Open addressing with linear probing over a power-of-two table kept at most half full.
 */
import type { TextDecoder } from 'node:util';

export class ByteDictionary {
  /** Bytes of every distinct value, back to back. */
  private arena = new Uint8Array(4096);
  private arenaUsed = 0;
  /** Per id (index 0 unused): where its bytes start, how many, and its hash. */
  private starts = new Int32Array(64);
  private lengths = new Int32Array(64);
  private hashes = new Int32Array(64);
  /** Slot → id (0: empty). */
  private slots = new Int32Array(128);
  private mask = 127;
  /** Distinct values so far; ids run 1..size. */
  size = 0;

  /** The id of bytes[start, end), added when new. */
  idOf(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    // Columns repeat themselves (census: "Not in universe" row after row): the last id is checked
    // first, which skips hashing and probing for every repeat.
    const last = this.lastId;
    if (last !== 0 && this.lengths[last] === length && this.sameBytes(last, bytes, start, length)) return last;
    const id = this.lookup(bytes, start, end, length);
    this.lastId = id;
    return id;
  }

  private lastId = 0;

  private lookup(bytes: Uint8Array, start: number, end: number, length: number): number {
    let hash = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
    let slot = hash & this.mask;
    for (;;) {
      const id = this.slots[slot] as number;
      if (id === 0) return this.insert(bytes, start, length, hash, slot);
      if (this.hashes[id] === hash && this.lengths[id] === length && this.sameBytes(id, bytes, start, length)) return id;
      slot = (slot + 1) & this.mask;
    }
  }

  /** The bytes of an id, decoded. */
  text(id: number, decoder: TextDecoder): string {
    const start = this.starts[id] as number;
    return decoder.decode(this.arena.subarray(start, start + (this.lengths[id] as number)));
  }

  /** Every value decoded, indexed by id (index 0: undefined). */
  texts(decoder: TextDecoder): string[] {
    const out = new Array<string>(this.size + 1);
    for (let id = 1; id <= this.size; id++) out[id] = this.text(id, decoder);
    return out;
  }

  /** Where each value's bytes are, to merge another thread's dictionary into this one. */
  parts(): { arena: Uint8Array; starts: Int32Array; lengths: Int32Array; size: number } {
    return { arena: this.arena.slice(0, this.arenaUsed), starts: this.starts.slice(0, this.size + 1), lengths: this.lengths.slice(0, this.size + 1), size: this.size };
  }

  /** For each id of another dictionary (given by its parts), the id of the same bytes here, added where new. */
  merge(other: { arena: Uint8Array; starts: Int32Array; lengths: Int32Array; size: number }): Int32Array {
    const remap = new Int32Array(other.size + 1);
    for (let id = 1; id <= other.size; id++) {
      const start = other.starts[id] as number;
      remap[id] = this.idOf(other.arena, start, start + (other.lengths[id] as number));
    }
    return remap;
  }

  private sameBytes(id: number, bytes: Uint8Array, start: number, length: number): boolean {
    const arena = this.arena;
    const at = this.starts[id] as number;
    for (let k = 0; k < length; k++) if (arena[at + k] !== bytes[start + k]) return false;
    return true;
  }

  private insert(bytes: Uint8Array, start: number, length: number, hash: number, slot: number): number {
    const id = ++this.size;
    if (id >= this.starts.length) this.growIds();
    if (this.arenaUsed + length > this.arena.length) {
      const grown = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + length));
      grown.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = grown;
    }
    this.arena.set(bytes.subarray(start, start + length), this.arenaUsed);
    this.starts[id] = this.arenaUsed;
    this.lengths[id] = length;
    this.hashes[id] = hash;
    this.arenaUsed += length;
    this.slots[slot] = id;
    if (id * 2 > this.mask) this.rehash();
    return id;
  }

  private growIds(): void {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.starts = grow(this.starts);
    this.lengths = grow(this.lengths);
    this.hashes = grow(this.hashes);
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 1; id <= this.size; id++) {
      let slot = (this.hashes[id] as number) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
