/**
 * Docker's multiplexed log framing (non-TTY containers): each frame is an 8-byte header —
 * stream type (1 stdout, 2 stderr), three zero bytes, big-endian payload length — then the
 * payload. This sink parses frames as they arrive and hands payloads to the two tails; it keeps
 * at most one partial header (8 bytes), never a whole frame, so a huge frame costs no memory.
 */
import { Writable } from "node:stream"
import type { TailBuffer } from "./logTail.js"

export const demuxInto = (stdout: TailBuffer, stderr: TailBuffer): Writable => {
  let header = Buffer.alloc(0)
  let remaining = 0
  let target: TailBuffer = stdout
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      let off = 0
      while (off < chunk.length) {
        if (remaining === 0) {
          const need = 8 - header.length
          header = Buffer.concat([header, chunk.subarray(off, off + need)])
          off += Math.min(need, chunk.length - off)
          if (header.length < 8) break
          target = header[0] === 2 ? stderr : stdout
          remaining = header.readUInt32BE(4)
          header = Buffer.alloc(0)
          continue
        }
        const take = Math.min(remaining, chunk.length - off)
        target.write(chunk.subarray(off, off + take))
        off += take
        remaining -= take
      }
      done()
    }
  })
}
