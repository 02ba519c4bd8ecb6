import { type Canvas, type SKRSContext2D, createCanvas } from '@napi-rs/canvas'
import type { Sprite } from './symbols'

/**
 * The image being drawn: a canvas for paths and text, and point symbols composited in JavaScript
 * straight into its pixels. Each canvas call crosses into native code (microseconds), so tens of
 * thousands of markers are stamped as sprites instead: one read and one write of the pixels per
 * batch, each distinct position of a sprite drawn once.
 */
export class MapCanvas {
  readonly canvas: Canvas
  readonly ctx: SKRSContext2D
  private stamps: { sprite: Sprite; x: number; y: number }[] = []
  private readonly seen = new Map<Sprite, Set<number>>()

  constructor(
    readonly width: number,
    readonly height: number
  ) {
    this.canvas = createCanvas(width, height)
    this.ctx = this.canvas.getContext('2d')
  }

  /** Queues a sprite centred on pixel (x, y); skipped when the same sprite is already there. */
  stamp(sprite: Sprite, x: number, y: number): void {
    const px = Math.round(x)
    const py = Math.round(y)
    const hw = sprite.width >> 1
    const hh = sprite.height >> 1
    if (px + hw < 0 || py + hh < 0 || px - hw >= this.width || py - hh >= this.height) return
    let positions = this.seen.get(sprite)
    if (!positions) this.seen.set(sprite, (positions = new Set()))
    const key = (py + 4096) * 16384 + (px + 4096)
    if (positions.has(key)) return
    positions.add(key)
    this.stamps.push({ sprite, x: px - hw, y: py - hh })
  }

  /** Composites the queued sprites (straight-alpha "source over") into the canvas's pixels. */
  flush(): void {
    if (this.stamps.length === 0) return
    const { width, height } = this
    const image = this.ctx.getImageData(0, 0, width, height)
    const out = image.data
    for (const { sprite, x, y } of this.stamps) {
      const src = sprite.data
      const sw = sprite.width
      const x0 = Math.max(0, -x)
      const y0 = Math.max(0, -y)
      const x1 = Math.min(sw, width - x)
      const y1 = Math.min(sprite.height, height - y)
      for (let sy = y0; sy < y1; sy++) {
        let s = (sy * sw + x0) * 4
        let d = ((y + sy) * width + x + x0) * 4
        for (let sx = x0; sx < x1; sx++, s += 4, d += 4) {
          const sa = src[s + 3]
          if (sa === 0) continue
          if (sa === 255) {
            out[d] = src[s]
            out[d + 1] = src[s + 1]
            out[d + 2] = src[s + 2]
            out[d + 3] = 255
            continue
          }
          const da = out[d + 3]
          const a = sa / 255
          const rest = (da / 255) * (1 - a)
          const oa = a + rest
          out[d] = (src[s] * a + out[d] * rest) / oa
          out[d + 1] = (src[s + 1] * a + out[d + 1] * rest) / oa
          out[d + 2] = (src[s + 2] * a + out[d + 2] * rest) / oa
          out[d + 3] = oa * 255
        }
      }
    }
    this.stamps = []
    this.seen.clear()
    this.ctx.putImageData(image, 0, 0)
  }
}
