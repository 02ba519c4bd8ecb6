import type { Expression, Filter } from '../filter'

/**
 * A style as drawn: SLD 1.0 (and SE 1.1's names) read into plain data that can cross to a render
 * worker (no functions, no class instances). Values that SLD lets come from the feature (a
 * label, a size, a colour) stay expressions and are resolved per feature.
 */
export type StyleValue = Expression | null

export interface StrokeStyle {
  color: StyleValue
  opacity: StyleValue
  width: StyleValue
  dasharray: number[] | null
  linejoin: 'miter' | 'round' | 'bevel'
  linecap: 'butt' | 'round' | 'square'
}

export interface FillStyle {
  color: StyleValue
  opacity: StyleValue
  /** A repeated graphic instead of a colour (SLD GraphicFill). */
  graphic: GraphicStyle | null
}

export interface MarkStyle {
  kind: 'mark'
  wellKnownName: string
  fill: FillStyle | null
  stroke: StrokeStyle | null
}

export interface ExternalGraphicStyle {
  kind: 'external'
  href: string
  format: string
}

export interface GraphicStyle {
  /** The first symbol that can be drawn is used, as SLD says. */
  symbols: (MarkStyle | ExternalGraphicStyle)[]
  size: StyleValue
  rotation: StyleValue
  opacity: StyleValue
}

export interface PointSymbolizer {
  kind: 'point'
  graphic: GraphicStyle
}

export interface LineSymbolizer {
  kind: 'line'
  stroke: StrokeStyle | null
  perpendicularOffset: number
}

export interface PolygonSymbolizer {
  kind: 'polygon'
  fill: FillStyle | null
  stroke: StrokeStyle | null
}

export interface FontStyle {
  family: string
  size: StyleValue
  style: 'normal' | 'italic' | 'oblique'
  weight: 'normal' | 'bold'
}

export interface TextSymbolizer {
  kind: 'text'
  /** Parts concatenated into the label (literal text and properties, as SLD's mixed content). */
  label: Expression[]
  font: FontStyle
  fill: FillStyle | null
  halo: { radius: number; fill: FillStyle | null } | null
  placement:
    | { kind: 'point'; anchor: [number, number]; displacement: [number, number]; rotation: StyleValue }
    | { kind: 'line'; offset: number }
}

export interface ColorMapEntry {
  color: string
  quantity: number
  opacity: number
  label: string | null
}

export interface RasterSymbolizer {
  kind: 'raster'
  opacity: number
  /** 1-based band numbers: one (grey) or three (red, green, blue); null = the file's own layout. */
  channels: number[] | null
  colorMap: { type: 'ramp' | 'intervals' | 'values'; entries: ColorMapEntry[] } | null
  contrast: { method: 'normalize' | 'histogram' | 'none'; gamma: number } | null
}

export type Symbolizer = PointSymbolizer | LineSymbolizer | PolygonSymbolizer | TextSymbolizer | RasterSymbolizer

export interface Rule {
  /** '' when the SLD names none (GetLegendGraphic's RULE cannot pick it then). */
  name: string
  title: string | null
  filter: Filter | null
  elseFilter: boolean
  /** Drawn when minScale <= scale denominator < maxScale. */
  minScale: number
  maxScale: number
  symbolizers: Symbolizer[]
}

export interface FeatureTypeStyle {
  rules: Rule[]
}

export interface Style {
  name: string
  title: string | null
  featureTypeStyles: FeatureTypeStyle[]
}

/** The rules of a style in the order they are drawn. */
export function rulesOf(style: Style): Rule[] {
  return style.featureTypeStyles.flatMap((fts) => fts.rules)
}

export function activeAt(rule: Rule, scale: number): boolean {
  return scale >= rule.minScale && scale < rule.maxScale
}
