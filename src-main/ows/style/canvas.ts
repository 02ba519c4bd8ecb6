import { type Canvas, type SKRSContext2D, createCanvas } from '@napi-rs/canvas'
import type { Sprite } from './symbols'

/** A sprite's visible pixels as offsets from its centre, opaque ones apart (they are copied, not blended). */
interface SpritePixels {
  dx: Int16Array
  dy: Int16Array
  /** The pixel as it lies in memory (RGBA bytes read as one little-endian word). */
  word: Uint32Array
  alpha: Uint8Array
  /** How far the sprite reaches from its centre. */
  reach: number
}

const pixelsOf = new WeakMap<Sprite, SpritePixels>()

function spritePixels(sprite: Sprite): SpritePixels {
  let found = pixelsOf.get(sprite)
  if (found) return found
  const cx = sprite.width >> 1
  const cy = sprite.height >> 1
  const words = new Uint32Array(sprite.data.buffer, sprite.data.byteOffset, sprite.width * sprite.height)
  const dx: number[] = []
  const dy: number[] = []
  const word: number[] = []
  const alpha: number[] = []
  for (let y = 0; y < sprite.height; y++) {
    for (let x = 0; x < sprite.width; x++) {
      const a = sprite.data[(y * sprite.width + x) * 4 + 3]
      if (a === 0) continue
      dx.push(x - cx)
      dy.push(y - cy)
      word.push(words[y * sprite.width + x])
      alpha.push(a)
    }
  }
  found = { dx: Int16Array.from(dx), dy: Int16Array.from(dy), word: Uint32Array.from(word), alpha: Uint8Array.from(alpha), reach: Math.max(cx, cy) + 1 }
  pixelsOf.set(sprite, found)
  return found
}

/**
 * The image being drawn: a canvas for paths and text, and point symbols composited in JavaScript
 * straight into its pixels. Each canvas call crosses into native code (microseconds), so tens of
 * thousands of markers are stamped instead: one read and one write of the pixels per batch, each
 * sprite drawn once per pixel position, opaque pixels copied as whole words.
 */
export class MapCanvas {
  readonly canvas: Canvas
  readonly ctx: SKRSContext2D
  private sprites: Sprite[] = []
  private spriteIndex = new Map<Sprite, number>()
  /** Pixel positions already stamped, per sprite (a bit per pixel of the canvas and its margin). */
  private seen: Uint8Array[] = []
  private queue = new Int32Array(3 * 1024)
  private queued = 0
  private static readonly MARGIN = 64

  constructor(
    readonly width: number,
    readonly height: number
  ) {
    this.canvas = createCanvas(width, height)
    this.ctx = this.canvas.getContext('2d')
  }

  /** Queues a sprite centred on pixel (x, y); skipped when the same sprite is already there or it cannot show. */
  stamp(sprite: Sprite, x: number, y: number): void {
    this.stamper(sprite)(x, y)
  }

  /** `stamp` for one sprite, its lookups done once (a layer of points stamps the same few sprites many times). */
  stamper(sprite: Sprite): (x: number, y: number) => void {
    let index = this.spriteIndex.get(sprite)
    if (index === undefined) {
      index = this.sprites.length
      this.sprites.push(sprite)
      this.spriteIndex.set(sprite, index)
      this.seen.push(new Uint8Array((((this.width + 2 * MapCanvas.MARGIN) * (this.height + 2 * MapCanvas.MARGIN)) >> 3) + 1))
    }
    const id = index
    const seen = this.seen[id]
    const reach = spritePixels(sprite).reach
    const m = MapCanvas.MARGIN
    const { width, height } = this
    const stride = width + 2 * m
    return (x, y) => {
      const px = Math.round(x)
      const py = Math.round(y)
      if (px + reach < 0 || py + reach < 0 || px - reach >= width || py - reach >= height) return
      if (px >= -m && py >= -m && px < width + m && py < height + m) {
        const bit = (py + m) * stride + px + m
        if (seen[bit >> 3] & (1 << (bit & 7))) return
        seen[bit >> 3] |= 1 << (bit & 7)
      }
      if (this.queued + 3 > this.queue.length) {
        const grown = new Int32Array(this.queue.length * 2)
        grown.set(this.queue)
        this.queue = grown
      }
      this.queue[this.queued++] = id
      this.queue[this.queued++] = px
      this.queue[this.queued++] = py
    }
  }

  /**
   * Composites the queued sprites into the canvas's pixels as if drawn in order ("source over"),
   * working front to back: the last stamp first, each pixel accumulated with "under" until it is
   * opaque, after which the stamps below it cost one test. Dense point maps touch each pixel dozens
   * of times; nearly all of those end at that test.
   */
  flush(): void {
    if (this.queued === 0) return
    const { width, height } = this
    const image = this.ctx.getImageData(0, 0, width, height)
    const out = image.data
    // Premultiplied colour and coverage accumulated from the top stamp down.
    const acc = new Uint8ClampedArray(width * height * 4)
    const all = this.sprites.map(spritePixels)
    // Each sprite pixel as an offset in the canvas's pixel array, for stamps that lie wholly inside.
    const deltas = all.map((p) => Int32Array.from(p.dx, (dx, k) => (p.dy[k] * width + dx) * 4))
    const queue = this.queue
    for (let q = this.queued - 3; q >= 0; q -= 3) {
      const sprite = queue[q]
      const { dx, dy, word, alpha, reach } = all[sprite]
      const x = queue[q + 1]
      const y = queue[q + 2]
      const inside = x - reach >= 0 && y - reach >= 0 && x + reach < width && y + reach < height
      const delta = deltas[sprite]
      const base = (y * width + x) * 4
      for (let k = 0; k < dx.length; k++) {
        let d: number
        if (inside) d = base + delta[k]
        else {
          const tx = x + dx[k]
          const ty = y + dy[k]
          if (tx < 0 || ty < 0 || tx >= width || ty >= height) continue
          d = (ty * width + tx) * 4
        }
        const covered = acc[d + 3]
        if (covered === 255) continue
        const w = word[k]
        const sa = alpha[k]
        if (covered === 0 && sa === 255) {
          acc[d] = w & 0xff
          acc[d + 1] = (w >>> 8) & 0xff
          acc[d + 2] = (w >>> 16) & 0xff
          acc[d + 3] = 255
          continue
        }
        const f = ((255 - covered) * sa) / 65025
        acc[d] += (w & 0xff) * f
        acc[d + 1] += ((w >>> 8) & 0xff) * f
        acc[d + 2] += ((w >>> 16) & 0xff) * f
        acc[d + 3] = covered + f * 255
      }
    }
    for (let d = 0; d < acc.length; d += 4) {
      const a = acc[d + 3]
      if (a === 0) continue
      if (a === 255) {
        out[d] = acc[d]
        out[d + 1] = acc[d + 1]
        out[d + 2] = acc[d + 2]
        out[d + 3] = 255
        continue
      }
      // The stamps over what the canvas held: premultiplied accumulation over straight pixels.
      const below = (out[d + 3] / 255) * (1 - a / 255)
      const oa = a / 255 + below
      out[d] = (acc[d] + out[d] * below) / oa
      out[d + 1] = (acc[d + 1] + out[d + 1] * below) / oa
      out[d + 2] = (acc[d + 2] + out[d + 2] * below) / oa
      out[d + 3] = oa * 255
    }
    this.queued = 0
    for (const seen of this.seen) seen.fill(0)
    this.ctx.putImageData(image, 0, 0)
  }
}
