import { type Expression, parseExpression, parseFilterElement } from '../filter'
import { type XmlElement, attr, childNamed, childrenNamed, parseXmlElement } from '../xml'
import type {
  ColorMapEntry,
  ExternalGraphicStyle,
  FeatureTypeStyle,
  FillStyle,
  FontStyle,
  GraphicStyle,
  MarkStyle,
  RasterSymbolizer,
  Rule,
  StrokeStyle,
  Style,
  StyleValue,
  Symbolizer,
  TextSymbolizer
} from './model'

/** A style document that cannot be drawn, with what is wrong with it. */
export class StyleProblem extends Error {}

const literal = (value: string): Expression => ({ kind: 'literal', value })

/**
 * Reads an SLD document (StyledLayerDescriptor 1.0.0, or 1.1.0 with Symbology Encoding names:
 * SvgParameter for CssParameter, se: elements) into the style model: the first UserStyle of the
 * first NamedLayer or UserLayer, or the one named `styleName`. Unknown elements are ignored, as
 * GeoServer does; a document without a UserStyle, or not XML, is a StyleProblem.
 */
export function parseSld(xml: string, styleName?: string): Style {
  let root: XmlElement
  try {
    root = parseXmlElement(xml)
  } catch (error) {
    throw new StyleProblem(error instanceof Error ? error.message : String(error))
  }
  const styles = root.name === 'UserStyle' ? [root] : [...childrenNamed(root, 'NamedLayer'), ...childrenNamed(root, 'UserLayer')].flatMap((l) => childrenNamed(l, 'UserStyle'))
  if (root.name !== 'StyledLayerDescriptor' && root.name !== 'UserStyle') throw new StyleProblem(`the root element is <${root.name}>, not StyledLayerDescriptor`)
  const chosen = (styleName && styles.find((s) => textOf(s, 'Name') === styleName)) || styles[0]
  if (!chosen) throw new StyleProblem('the document has no UserStyle')
  return {
    name: textOf(chosen, 'Name') ?? styleName ?? 'style',
    title: textOf(chosen, 'Title') ?? null,
    featureTypeStyles: [...childrenNamed(chosen, 'FeatureTypeStyle'), ...childrenNamed(chosen, 'CoverageStyle')].map(featureTypeStyle)
  }
}

function textOf(element: XmlElement | undefined, name: string): string | undefined {
  return childNamed(element, name)?.text || undefined
}

function featureTypeStyle(element: XmlElement): FeatureTypeStyle {
  return { rules: childrenNamed(element, 'Rule').map((r) => rule(r)) }
}

function rule(element: XmlElement): Rule {
  const filterElement = childNamed(element, 'Filter')
  const min = Number(textOf(element, 'MinScaleDenominator'))
  const max = Number(textOf(element, 'MaxScaleDenominator'))
  const symbolizers: Symbolizer[] = []
  for (const child of element.children) {
    const symbolizer = symbolizerOf(child)
    if (symbolizer) symbolizers.push(symbolizer)
  }
  return {
    name: textOf(element, 'Name') ?? '',
    title: textOf(element, 'Title') ?? textOf(childNamed(element, 'Description'), 'Title') ?? null,
    filter: filterElement ? parseFilterElement(filterElement) : null,
    elseFilter: childNamed(element, 'ElseFilter') !== undefined,
    minScale: Number.isFinite(min) && min > 0 ? min : 0,
    maxScale: Number.isFinite(max) && max > 0 ? max : Infinity,
    symbolizers
  }
}

function symbolizerOf(element: XmlElement): Symbolizer | null {
  switch (element.name) {
    case 'PointSymbolizer': {
      const graphic = childNamed(element, 'Graphic')
      return { kind: 'point', graphic: graphic ? graphicOf(graphic) : defaultGraphic() }
    }
    case 'LineSymbolizer':
      return { kind: 'line', stroke: strokeOf(childNamed(element, 'Stroke')), perpendicularOffset: Number(textOf(element, 'PerpendicularOffset') ?? 0) || 0 }
    case 'PolygonSymbolizer':
      return { kind: 'polygon', fill: fillOf(childNamed(element, 'Fill')), stroke: strokeOf(childNamed(element, 'Stroke')) }
    case 'TextSymbolizer':
      return textSymbolizer(element)
    case 'RasterSymbolizer':
      return rasterSymbolizer(element)
    default:
      return null
  }
}

/** A parameter's value: its expression child (Literal, PropertyName, Function...) or its text. */
function valueOf(element: XmlElement | undefined): StyleValue {
  if (!element) return null
  const expressions = element.children.filter((c) => c.name !== 'Name')
  if (expressions.length > 0) {
    try {
      return parseExpression(expressions[0])
    } catch {
      return element.text ? literal(element.text) : null
    }
  }
  return element.text ? literal(element.text) : null
}

/** CssParameter (SLD 1.0) and SvgParameter (SE 1.1) by their name attribute. */
function parameters(element: XmlElement | undefined): Map<string, XmlElement> {
  const found = new Map<string, XmlElement>()
  for (const child of element?.children ?? []) {
    if (child.name === 'CssParameter' || child.name === 'SvgParameter') {
      const name = attr(child, 'name')
      if (name) found.set(name, child)
    }
  }
  return found
}

function constant(value: StyleValue): string | null {
  return value?.kind === 'literal' ? value.value : null
}

function strokeOf(element: XmlElement | undefined): StrokeStyle | null {
  if (!element) return null
  const p = parameters(element)
  const dash = constant(valueOf(p.get('stroke-dasharray')))
  const dasharray = dash ? dash.split(/[\s,]+/).map(Number).filter((n) => Number.isFinite(n) && n >= 0) : null
  const join = constant(valueOf(p.get('stroke-linejoin')))
  const cap = constant(valueOf(p.get('stroke-linecap')))
  return {
    color: valueOf(p.get('stroke')) ?? literal('#000000'),
    opacity: valueOf(p.get('stroke-opacity')),
    width: valueOf(p.get('stroke-width')),
    dasharray: dasharray && dasharray.length > 0 && dasharray.some((n) => n > 0) ? dasharray : null,
    linejoin: join === 'round' || join === 'bevel' ? join : join === 'mitre' || join === 'miter' ? 'miter' : 'round',
    linecap: cap === 'round' || cap === 'square' ? cap : 'butt'
  }
}

function fillOf(element: XmlElement | undefined): FillStyle | null {
  if (!element) return null
  const p = parameters(element)
  const graphicFill = childNamed(childNamed(element, 'GraphicFill'), 'Graphic')
  return {
    color: valueOf(p.get('fill')) ?? (graphicFill ? null : literal('#808080')),
    opacity: valueOf(p.get('fill-opacity')),
    graphic: graphicFill ? graphicOf(graphicFill) : null
  }
}

function defaultGraphic(): GraphicStyle {
  return {
    symbols: [{ kind: 'mark', wellKnownName: 'square', fill: { color: literal('#808080'), opacity: null, graphic: null }, stroke: null }],
    size: literal('6'),
    rotation: null,
    opacity: null
  }
}

function graphicOf(element: XmlElement): GraphicStyle {
  const symbols: (MarkStyle | ExternalGraphicStyle)[] = []
  for (const child of element.children) {
    if (child.name === 'Mark') {
      symbols.push({
        kind: 'mark',
        wellKnownName: (textOf(child, 'WellKnownName') ?? 'square').trim(),
        // A Mark without Fill and Stroke is drawn grey filled with a black outline (SLD 1.0 §11.3.2).
        fill: fillOf(childNamed(child, 'Fill')) ?? (childNamed(child, 'Stroke') ? null : { color: literal('#808080'), opacity: null, graphic: null }),
        stroke: strokeOf(childNamed(child, 'Stroke')) ?? (childNamed(child, 'Fill') ? null : strokeOf({ name: 'Stroke', prefix: '', attrs: {}, children: [], text: '' }))
      })
    } else if (child.name === 'ExternalGraphic') {
      const resource = childNamed(child, 'OnlineResource')
      const href = resource ? (attr(resource, 'href') ?? '') : ''
      if (href) symbols.push({ kind: 'external', href, format: textOf(child, 'Format') ?? '' })
    }
  }
  if (symbols.length === 0) symbols.push(...defaultGraphic().symbols)
  return { symbols, size: valueOf(childNamed(element, 'Size')), rotation: valueOf(childNamed(element, 'Rotation')), opacity: valueOf(childNamed(element, 'Opacity')) }
}

function fontOf(element: XmlElement | undefined): FontStyle {
  const p = parameters(element)
  const style = constant(valueOf(p.get('font-style')))
  const weight = constant(valueOf(p.get('font-weight')))
  return {
    family: constant(valueOf(p.get('font-family'))) ?? 'sans-serif',
    size: valueOf(p.get('font-size')) ?? literal('10'),
    style: style === 'italic' || style === 'oblique' ? style : 'normal',
    weight: weight === 'bold' ? 'bold' : 'normal'
  }
}

function pair(element: XmlElement | undefined, x: string, y: string, fallback: [number, number]): [number, number] {
  if (!element) return fallback
  const a = Number(constant(valueOf(childNamed(element, x))) ?? fallback[0])
  const b = Number(constant(valueOf(childNamed(element, y))) ?? fallback[1])
  return [Number.isFinite(a) ? a : fallback[0], Number.isFinite(b) ? b : fallback[1]]
}

function textSymbolizer(element: XmlElement): TextSymbolizer {
  const labelElement = childNamed(element, 'Label')
  const label: Expression[] = []
  if (labelElement) {
    if (labelElement.text) label.push(literal(labelElement.text))
    for (const child of labelElement.children) {
      try {
        label.push(parseExpression(child))
      } catch {
        // Not an expression (an unknown vendor element): nothing to draw from it.
      }
    }
  }
  const placementElement = childNamed(element, 'LabelPlacement')
  const linePlacement = childNamed(placementElement, 'LinePlacement')
  const pointPlacement = childNamed(placementElement, 'PointPlacement')
  const halo = childNamed(element, 'Halo')
  return {
    kind: 'text',
    label,
    font: fontOf(childNamed(element, 'Font')),
    fill: fillOf(childNamed(element, 'Fill')) ?? { color: literal('#000000'), opacity: null, graphic: null },
    halo: halo ? { radius: Number(constant(valueOf(childNamed(halo, 'Radius'))) ?? 1) || 1, fill: fillOf(childNamed(halo, 'Fill')) ?? { color: literal('#ffffff'), opacity: null, graphic: null } } : null,
    placement: linePlacement
      ? { kind: 'line', offset: Number(constant(valueOf(childNamed(linePlacement, 'PerpendicularOffset'))) ?? 0) || 0 }
      : {
          kind: 'point',
          anchor: pair(childNamed(pointPlacement, 'AnchorPoint'), 'AnchorPointX', 'AnchorPointY', [0, 0.5]),
          displacement: pair(childNamed(pointPlacement, 'Displacement'), 'DisplacementX', 'DisplacementY', [0, 0]),
          rotation: valueOf(childNamed(pointPlacement, 'Rotation'))
        }
  }
}

const HEX = /^#?[0-9a-f]{6}$/i

function rasterSymbolizer(element: XmlElement): RasterSymbolizer {
  const opacity = Number(textOf(element, 'Opacity') ?? 1)
  const selection = childNamed(element, 'ChannelSelection')
  let channels: number[] | null = null
  if (selection) {
    const band = (name: string) => Number(textOf(childNamed(selection, name), 'SourceChannelName'))
    const grey = band('GrayChannel')
    const rgb = [band('RedChannel'), band('GreenChannel'), band('BlueChannel')]
    if (Number.isInteger(grey) && grey > 0) channels = [grey]
    else if (rgb.every((b) => Number.isInteger(b) && b > 0)) channels = rgb
  }
  const colorMapElement = childNamed(element, 'ColorMap')
  let colorMap: RasterSymbolizer['colorMap'] = null
  if (colorMapElement) {
    const entries: ColorMapEntry[] = []
    for (const entry of childrenNamed(colorMapElement, 'ColorMapEntry')) {
      const color = attr(entry, 'color') ?? ''
      const quantity = Number(attr(entry, 'quantity'))
      if (!HEX.test(color) || !Number.isFinite(quantity)) continue
      const entryOpacity = Number(attr(entry, 'opacity') ?? 1)
      entries.push({ color: color.startsWith('#') ? color : `#${color}`, quantity, opacity: Number.isFinite(entryOpacity) ? entryOpacity : 1, label: attr(entry, 'label') ?? null })
    }
    entries.sort((a, b) => a.quantity - b.quantity)
    const type = attr(colorMapElement, 'type')
    if (entries.length > 0) colorMap = { type: type === 'intervals' || type === 'values' ? type : 'ramp', entries }
  }
  const contrastElement = childNamed(element, 'ContrastEnhancement')
  const gamma = Number(textOf(contrastElement, 'GammaValue') ?? 1)
  return {
    kind: 'raster',
    opacity: Number.isFinite(opacity) ? Math.max(0, Math.min(1, opacity)) : 1,
    channels,
    colorMap,
    contrast: contrastElement
      ? { method: childNamed(contrastElement, 'Normalize') ? 'normalize' : childNamed(contrastElement, 'Histogram') ? 'histogram' : 'none', gamma: Number.isFinite(gamma) && gamma > 0 ? gamma : 1 }
      : null
  }
}
