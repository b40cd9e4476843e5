/**
 * Sequential little-endian reads from an open file, in chunks: only what is read is held in
 * memory, and large values can be skipped without reading them.
 */
import type { FileHandle } from "node:fs/promises";

const CHUNK_BYTES = 256 * 1024;

/** Raised when a read would go past the end of the file. */
export class EndOfFileError extends Error {
  constructor(
    readonly position: number,
    readonly wanted: number,
    readonly fileSize: number,
  ) {
    super(`needed ${wanted} bytes at offset ${position}, but the file ends at ${fileSize}`);
    this.name = "EndOfFileError";
  }
}

/** Reads a file front to back through a small buffer. */
export class FileChunkReader {
  private buffer = Buffer.alloc(0);
  private bufferStart = 0;
  /** Absolute position of the next byte to read. */
  position = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly fileSize: number,
  ) {}

  /** Makes sure `n` bytes from the current position are buffered; returns their index in the buffer. */
  private async need(n: number): Promise<number> {
    if (this.position + n > this.fileSize) throw new EndOfFileError(this.position, n, this.fileSize);
    const index = this.position - this.bufferStart;
    if (index >= 0 && index + n <= this.buffer.length) return index;
    const size = Math.min(Math.max(n, CHUNK_BYTES), this.fileSize - this.position);
    const buffer = Buffer.alloc(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await this.handle.read(buffer, filled, size - filled, this.position + filled);
      if (bytesRead === 0) throw new EndOfFileError(this.position + filled, size - filled, this.fileSize);
      filled += bytesRead;
    }
    this.buffer = buffer;
    this.bufferStart = this.position;
    return 0;
  }

  /** Reads `n` raw bytes (a view into the internal buffer, valid until the next read). */
  async bytes(n: number): Promise<Buffer> {
    const i = await this.need(n);
    this.position += n;
    return this.buffer.subarray(i, i + n);
  }

  async u8(): Promise<number> {
    const i = await this.need(1);
    this.position += 1;
    return this.buffer.readUInt8(i);
  }

  async u32(): Promise<number> {
    const i = await this.need(4);
    this.position += 4;
    return this.buffer.readUInt32LE(i);
  }

  async i32(): Promise<number> {
    const i = await this.need(4);
    this.position += 4;
    return this.buffer.readInt32LE(i);
  }

  async u64(): Promise<bigint> {
    const i = await this.need(8);
    this.position += 8;
    return this.buffer.readBigUInt64LE(i);
  }

  async i64(): Promise<bigint> {
    const i = await this.need(8);
    this.position += 8;
    return this.buffer.readBigInt64LE(i);
  }

  async f32(): Promise<number> {
    const i = await this.need(4);
    this.position += 4;
    return this.buffer.readFloatLE(i);
  }

  async f64(): Promise<number> {
    const i = await this.need(8);
    this.position += 8;
    return this.buffer.readDoubleLE(i);
  }

  /** Moves past `n` bytes without reading them (fails if they are not all in the file). */
  skip(n: number): void {
    if (this.position + n > this.fileSize) throw new EndOfFileError(this.position, n, this.fileSize);
    this.position += n;
  }
}
