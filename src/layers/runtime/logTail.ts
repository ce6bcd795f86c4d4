/**
 * A bounded tail of an output stream: keeps the last `capacity` bytes and counts everything seen,
 * so that an agent printing gigabytes costs the coordinator `capacity` bytes of memory.
 */
import type { LogTail } from "../AgentRuntime.js"

export class TailBuffer {
  private chunks: Array<Buffer> = []
  private held = 0
  /** Every byte written, including the ones dropped. */
  total = 0

  constructor(private readonly capacity: number) {}

  write(chunk: Buffer): void {
    this.total += chunk.length
    if (chunk.length >= this.capacity) {
      // Copy: the caller's buffer may be a view into a much larger one that we must not retain.
      this.chunks = [Buffer.from(chunk.subarray(chunk.length - this.capacity))]
      this.held = this.capacity
      return
    }
    this.chunks.push(Buffer.from(chunk))
    this.held += chunk.length
    while (this.held - this.chunks[0]!.length >= this.capacity) {
      this.held -= this.chunks.shift()!.length
    }
    // Compact occasionally so that many small writes do not keep many small buffers.
    if (this.chunks.length > 256) {
      this.chunks = [Buffer.concat(this.chunks)]
    }
  }

  /** The tail as text (at most `capacity` bytes; a split UTF-8 sequence at the cut is replaced). */
  text(): string {
    const all = Buffer.concat(this.chunks)
    return all.subarray(Math.max(0, all.length - this.capacity)).toString("utf8")
  }

  get truncated(): boolean {
    return this.total > this.capacity
  }
}

/** An agent's two output tails, as the runtime's `logs` answers them. */
export class OutputTails {
  readonly stdout: TailBuffer
  readonly stderr: TailBuffer
  constructor(capacity: number) {
    this.stdout = new TailBuffer(capacity)
    this.stderr = new TailBuffer(capacity)
  }

  /** Bytes seen on both streams. */
  get total(): number {
    return this.stdout.total + this.stderr.total
  }

  view(): LogTail {
    return {
      stdout: this.stdout.text(),
      stderr: this.stderr.text(),
      totalBytes: this.total,
      truncated: this.stdout.truncated || this.stderr.truncated
    }
  }
}
