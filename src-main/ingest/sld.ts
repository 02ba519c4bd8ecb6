import { nodesAt, ownText, parseXml, type XmlNode } from './iso-metadata'
import { IngestError } from './types'

/** `any`: a style whose geometry is not known (one rule each for polygons, lines and points). */
export type DefaultStyleGeometry = 'point' | 'line' | 'polygon' | 'raster' | 'any'

export interface UploadedStyle {
  name: string
  title: string | null
  body: string
}

/**
 * Reads an uploaded style (SLD 1.0, or SLD 1.1 with SE names). The name follows GeoNode's
 * extract_name_from_sld: the first UserStyle's Name, else the NamedLayer's (or UserLayer's) Name.
 * `body` is the document as uploaded, minus a byte-order mark.
 */
export function readSld(xml: string, file: string): UploadedStyle {
  const parsed = parseXml(xml)
  if ('error' in parsed) throw new IngestError(file, `not a valid SLD style: ${parsed.error}`)
  if (parsed.root !== 'StyledLayerDescriptor') {
    throw new IngestError(file, `not a valid SLD style: the root element is <${parsed.root}>, expected StyledLayerDescriptor`)
  }
  const layers = [...nodesAt(parsed.node, 'NamedLayer'), ...nodesAt(parsed.node, 'UserLayer')]
  const style = layers.flatMap((layer) => nodesAt(layer, 'UserStyle'))[0]
  if (style === undefined) throw new IngestError(file, 'not a valid SLD style: it has no NamedLayer or UserLayer with a UserStyle')
  const name = nameOf(style) ?? layers.map(nameOf).find((layerName) => layerName !== undefined)
  if (name === undefined) throw new IngestError(file, 'not a valid SLD style: neither the UserStyle nor its layer has a Name')
  return { name, title: ownText(nodesAt(style, 'Title')[0]) ?? null, body: xml.replace(/^\uFEFF/, '') }
}

function nameOf(node: XmlNode): string | undefined {
  return ownText(nodesAt(node, 'Name')[0])
}

const PALETTE = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#ff7f0e', '#7f7f7f']

/**
 * A simple SLD 1.0 document for a layer uploaded without a style. The colour is picked from the
 * layer name, so re-ingesting the same layer gives the same style.
 */
export function defaultSld(layerName: string, geometryType: DefaultStyleGeometry): string {
  const name = escapeXml(layerName)
  const fill = PALETTE[hash(layerName) % PALETTE.length]
  const stroke = darken(fill)
  return `<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor version="1.0.0"
    xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc"
    xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.0.0/StyledLayerDescriptor.xsd">
  <NamedLayer>
    <Name>${name}</Name>
    <UserStyle>
      <Name>${name}</Name>
      <Title>Default ${geometryType} style for ${name}</Title>
      <FeatureTypeStyle>
${(geometryType === 'any' ? (['polygon', 'line', 'point'] as const) : [geometryType]).map((g) => `        <Rule>\n${symbolizer(g, fill, stroke)}\n        </Rule>`).join('\n')}
      </FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
`
}

function symbolizer(geometryType: Exclude<DefaultStyleGeometry, 'any'>, fill: string, stroke: string): string {
  const strokeXml = (width: number) => `<Stroke>
              <CssParameter name="stroke">${stroke}</CssParameter>
              <CssParameter name="stroke-width">${width}</CssParameter>
            </Stroke>`
  switch (geometryType) {
    case 'point':
      return `          <PointSymbolizer>
            <Graphic>
              <Mark>
                <WellKnownName>circle</WellKnownName>
                <Fill><CssParameter name="fill">${fill}</CssParameter></Fill>
                <Stroke><CssParameter name="stroke">${stroke}</CssParameter><CssParameter name="stroke-width">1</CssParameter></Stroke>
              </Mark>
              <Size>8</Size>
            </Graphic>
          </PointSymbolizer>`
    case 'line':
      return `          <LineSymbolizer>
            ${strokeXml(2)}
          </LineSymbolizer>`
    case 'polygon':
      return `          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">${fill}</CssParameter>
              <CssParameter name="fill-opacity">0.6</CssParameter>
            </Fill>
            ${strokeXml(1)}
          </PolygonSymbolizer>`
    case 'raster':
      return `          <RasterSymbolizer>
            <Opacity>1.0</Opacity>
          </RasterSymbolizer>`
  }
}

const XML_ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' }

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => XML_ESCAPES[char])
}

function hash(text: string): number {
  let value = 0
  for (const char of text) value = (value * 31 + char.charCodeAt(0)) >>> 0
  return value
}

function darken(hex: string): string {
  const channels = [1, 3, 5].map((start) => Math.round(parseInt(hex.slice(start, start + 2), 16) * 0.6))
  return `#${channels.map((channel) => channel.toString(16).padStart(2, '0')).join('')}`
}
