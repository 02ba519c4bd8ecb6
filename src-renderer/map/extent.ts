/** Lon/lat boxes (EPSG:4326) as `[minx, miny, maxx, maxy]`: conversions with no OpenLayers objects. */
export type LonLatBox = [number, number, number, number]

interface PolygonLike {
  type: string
  coordinates: unknown
}

/** The box around a GeoJSON polygon such as `ll_bbox_polygon`; null when there is none. */
export function boxOfPolygon(polygon: PolygonLike | null | undefined): LonLatBox | null {
  if (!polygon || polygon.type !== 'Polygon' || !Array.isArray(polygon.coordinates)) return null
  const points = (polygon.coordinates as number[][][]).flat()
  if (points.length === 0) return null
  const xs = points.map((p) => p[0])
  const ys = points.map((p) => p[1])
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
}

/** The union of boxes, or null for none. */
export function unionOf(boxes: (LonLatBox | null)[]): LonLatBox | null {
  const real = boxes.filter((b): b is LonLatBox => b !== null)
  if (real.length === 0) return null
  return [Math.min(...real.map((b) => b[0])), Math.min(...real.map((b) => b[1])), Math.max(...real.map((b) => b[2])), Math.max(...real.map((b) => b[3]))]
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value))

/** Rounded to 4 decimals and clamped to the world, as the `extent=` query parameter wants it. */
export function normaliseBox(box: LonLatBox): LonLatBox {
  const r = (v: number) => Math.round(v * 10000) / 10000
  return [r(clamp(box[0], -180, 180)), r(clamp(box[1], -90, 90)), r(clamp(box[2], -180, 180)), r(clamp(box[3], -90, 90))]
}

export function formatBox(box: LonLatBox): string {
  return box.join(',')
}

/** Parses `minx,miny,maxx,maxy`; null unless four finite numbers with min <= max. */
export function parseBox(text: unknown): LonLatBox | null {
  if (typeof text !== 'string') return null
  const parts = text.split(',').map(Number)
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) return null
  const box = parts as LonLatBox
  if (box[0] > box[2] || box[1] > box[3]) return null
  return box
}
