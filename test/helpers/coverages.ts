import { join } from 'node:path'
import { expect } from 'vitest'
import { type XmlElement, parseXmlElement } from '../../src-main/ows/xml'
import { writeGeoTiff } from './fixtures-files'
import { type TestServer, type Who, request } from './server'
import { type FilePart, fileOnDisk, fixturePath, uploadLayer } from './uploads'

/** The committed COG: 256 x 256 Byte at 10 m from (500000, 5000000) in EPSG:32633, nodata 0, overviews 128 and 64. */
export const COG = { file: fixturePath('cog-32633.tif'), width: 256, height: 256, bbox: [500000, 4997440, 502560, 5000000] as const }

/** The float raster the tests write: 60 x 40 Float32 pixels of 0.05° from (10°E, 48°N) in EPSG:4326, -9999 in the top-left 3 x 2. */
export const FLOAT = { width: 60, height: 40, origin: [10, 48] as const, res: 0.05, noData: -9999 }

export const floatValue = (x: number, y: number) => (y < 2 && x < 3 ? FLOAT.noData : x * 0.5 + y * 100.25)

/** Writes the float raster into `dir` under `name`. */
export async function writeFloatRaster(dir: string, name = 'float_4326.tif'): Promise<string> {
  const values = new Float32Array(FLOAT.width * FLOAT.height)
  for (let y = 0; y < FLOAT.height; y++) for (let x = 0; x < FLOAT.width; x++) values[y * FLOAT.width + x] = floatValue(x, y)
  return writeGeoTiff(join(dir, name), {
    width: FLOAT.width,
    height: FLOAT.height,
    values,
    metadata: {
      ModelPixelScale: [FLOAT.res, FLOAT.res, 0],
      ModelTiepoint: [0, 0, 0, FLOAT.origin[0], FLOAT.origin[1], 0],
      GeographicTypeGeoKey: 4326,
      GTModelTypeGeoKey: 2,
      GTRasterTypeGeoKey: 1,
      GDAL_NODATA: String(FLOAT.noData)
    }
  })
}

/** The RGB raster the tests write: 30 x 20 Byte pixels of 2 m from (600000, 4500000) in EPSG:32633. */
export const RGB = { width: 30, height: 20 }
export const rgbValue = (band: number, x: number, y: number) => (x * (band + 1) + y * 7) % 256

/** Writes the RGB raster (pixel-interleaved, photometric RGB) into `dir`. */
export async function writeRgbRaster(dir: string, name = 'rgb_32633.tif'): Promise<string> {
  const values = new Uint8Array(RGB.width * RGB.height * 3)
  for (let y = 0; y < RGB.height; y++) for (let x = 0; x < RGB.width; x++) for (let b = 0; b < 3; b++) values[(y * RGB.width + x) * 3 + b] = rgbValue(b, x, y)
  return writeGeoTiff(join(dir, name), {
    width: RGB.width,
    height: RGB.height,
    values,
    metadata: { ModelPixelScale: [2, 2, 0], ModelTiepoint: [0, 0, 0, 600000, 4500000, 0], ProjectedCSTypeGeoKey: 32633, GTModelTypeGeoKey: 1, GTRasterTypeGeoKey: 1 }
  })
}

/** Uploads files as a layer and answers its pk (the upload must finish). */
export async function uploadRaster(server: TestServer, who: Who, files: FilePart[], fields: Record<string, string> = {}): Promise<number> {
  const res = await uploadLayer(server, who, files, fields)
  expect(res.status, res.text).toBe(200)
  expect(res.body.status, res.text).toBe('finished')
  const name = /:geonode:(.+)$/.exec(res.body.url as string)![1]
  const found = await request(server, `/api/v2/layers?filter{name}=${name}`, { who: 'admin' })
  return Number(found.body.layers[0].pk)
}

export const cogUpload = (name = 'cog_32633.tif') => [fileOnDisk('base_file', COG.file, name)]

/** An XML answer parsed to the element tree the services read requests with. */
export function xmlOf(text: string): XmlElement {
  return parseXmlElement(text)
}

/** Every descendant element with this local name, in document order. */
export function descendants(element: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = []
  const walk = (e: XmlElement) => {
    for (const child of e.children) {
      if (child.name === name) out.push(child)
      walk(child)
    }
  }
  walk(element)
  return out
}

/** The text of the first descendant with this local name. */
export const textOf = (element: XmlElement, name: string) => descendants(element, name)[0]?.text

/** Permissions for an upload: anonymous may view but not download, or no one but the owner may view. */
export const ANON_VIEW_ONLY = JSON.stringify({ users: { AnonymousUser: ['view_resourcebase'] }, groups: {} })
export const PRIVATE = JSON.stringify({ users: {}, groups: {} })
