import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fromArrayBuffer } from 'geotiff'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type OutputGrid, type SampleType, readRasterInfo, renderCoverage } from '../../src-main/ows/wcs/raster'
import { MAX_HEADER_BANDS, geoTiffHeader } from '../../src-main/ows/wcs/tiff-header'
import { makeTempDir } from '../helpers/fixtures-files'

// The GeoTIFF answers of WCS for every sample type GDAL writes, read back with geotiff's reader:
// values, nodata, CRS and georeferencing as written; subsets and reprojection by nearest neighbour.

const W = 7
const H = 5
const BBOX: [number, number, number, number] = [500000, 4999950, 500070, 5000000]
const TYPES: { type: SampleType; value: (i: number) => number; format: number; bits: number }[] = [
  { type: 'Byte', value: (i) => (i * 7) % 256, format: 1, bits: 8 },
  { type: 'Int8', value: (i) => ((i * 7) % 256) - 128, format: 2, bits: 8 },
  { type: 'UInt16', value: (i) => (i * 1999) % 65536, format: 1, bits: 16 },
  { type: 'Int16', value: (i) => i * 997 - 20000, format: 2, bits: 16 },
  { type: 'UInt32', value: (i) => i * 99_999_991, format: 1, bits: 32 },
  { type: 'Int32', value: (i) => i * 61_000_001 - 2_000_000_000, format: 2, bits: 32 },
  { type: 'Float32', value: (i) => Math.fround(i * 0.37 - 5.5), format: 3, bits: 32 },
  { type: 'Float64', value: (i) => i * 1e-9 + 1e12, format: 3, bits: 64 }
]

let temp: Awaited<ReturnType<typeof makeTempDir>>
beforeAll(async () => {
  temp = await makeTempDir('mapshelf-wcs-raster-')
})
afterAll(() => temp?.remove())

/** A stripped GeoTIFF of W x H pixels in EPSG:32633, one band of `type`, written the way WCS answers are. */
async function source(type: (typeof TYPES)[number]): Promise<string> {
  const grid: OutputGrid = { epsg: 32633, bbox: BBOX, width: W, height: H }
  const chunks: Buffer[] = [geoTiffHeader({ grid, bands: 1, sampleType: type.type, noData: type.value(0), rgb: false })]
  await renderFromValues(type, chunks)
  const file = join(temp.dir, `${type.type}.tif`)
  await writeFile(file, Buffer.concat(chunks))
  return file
}

async function renderFromValues(type: (typeof TYPES)[number], chunks: Buffer[]): Promise<void> {
  const size = type.bits / 8
  const out = Buffer.alloc(W * H * size)
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
  for (let i = 0; i < W * H; i++) {
    const v = type.value(i)
    if (type.format === 3) size === 4 ? view.setFloat32(i * 4, v) : view.setFloat64(i * 8, v)
    else if (type.format === 2) size === 1 ? view.setInt8(i, v) : size === 2 ? view.setInt16(i * 2, v) : view.setInt32(i * 4, v)
    else size === 1 ? view.setUint8(i, v) : size === 2 ? view.setUint16(i * 2, v) : view.setUint32(i * 4, v)
  }
  chunks.push(out)
}

async function render(file: string, grid: OutputGrid) {
  const info = await readRasterInfo(file)
  const chunks: Buffer[] = [geoTiffHeader({ grid, bands: info.bands, sampleType: info.sampleType, noData: info.noData, rgb: false })]
  await renderCoverage(file, info, 32633, grid, [0], async (b) => void chunks.push(Buffer.from(b)))
  const bytes = Buffer.concat(chunks)
  const image = await (await fromArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer)).getImage(0)
  return { image, values: Array.from((await image.readRasters({ interleave: false }))[0] as ArrayLike<number>) }
}

describe('WCS GeoTIFF answers', () => {
  for (const type of TYPES) {
    it(`keep ${type.type} samples, nodata and georeferencing`, async () => {
      const file = await source(type)
      const info = await readRasterInfo(file)
      expect([info.sampleType, info.width, info.height, info.noData]).toEqual([type.type, W, H, type.value(0)])
      const whole = await render(file, { epsg: 32633, bbox: BBOX, width: W, height: H })
      expect([whole.image.getSampleFormat(0), whole.image.getBitsPerSample(0)]).toEqual([type.format, type.bits])
      expect(whole.image.getGeoKeys()).toMatchObject({ ProjectedCSTypeGeoKey: 32633, GTModelTypeGeoKey: 1 })
      expect(whole.image.getBoundingBox()).toEqual(BBOX)
      expect(whole.image.getGDALNoData()).toBe(type.value(0))
      expect(whole.values).toEqual(Array.from({ length: W * H }, (_, i) => type.value(i)))
      // Columns 2..4, rows 1..3, and a margin outside the raster filled with nodata.
      const part = await render(file, { epsg: 32633, bbox: [500020, 4999960, 500080, 4999990], width: 6, height: 3 })
      const expected = [1, 2, 3].flatMap((row) => [2, 3, 4, 5, 6, -1].map((col) => type.value(col < 0 ? 0 : row * W + col)))
      expect(part.values).toEqual(expected)
    })
  }

  it('write a header of the most bands answered, with the longest nodata, that readers take whole', async () => {
    const grid: OutputGrid = { epsg: 32633, bbox: BBOX, width: 2, height: 1 }
    const noData = -1.7976931348623157e308
    const header = geoTiffHeader({ grid, bands: MAX_HEADER_BANDS, sampleType: 'Float64', noData, rgb: false })
    const samples = Buffer.alloc(2 * MAX_HEADER_BANDS * 8)
    for (let i = 0; i < 2 * MAX_HEADER_BANDS; i++) samples.writeDoubleBE(i, i * 8)
    const file = join(temp.dir, 'many.tif')
    await writeFile(file, Buffer.concat([header, samples]))
    const info = await readRasterInfo(file)
    expect([info.bands, info.sampleType, info.noData, info.bbox]).toEqual([MAX_HEADER_BANDS, 'Float64', noData, BBOX])
    expect(() => geoTiffHeader({ grid, bands: MAX_HEADER_BANDS + 1, sampleType: 'Byte', noData: null, rgb: false })).toThrow(/at most 64 bands/)
  })

  it('reproject by nearest neighbour: each pixel takes the source pixel under its centre', async () => {
    const file = await source(TYPES[3])
    const { image, values } = await render(file, { epsg: 4326, bbox: [15.0000, 45.1528, 15.0009, 45.1533], width: 9, height: 5 })
    expect(image.getGeoKeys()).toMatchObject({ GeographicTypeGeoKey: 4326, GTModelTypeGeoKey: 2 })
    const proj4 = (await import('proj4')).default
    const utm = proj4('+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs')
    for (let j = 0; j < 5; j++) {
      for (let i = 0; i < 9; i++) {
        const [e, n] = utm.forward([15 + (i + 0.5) * 0.0001, 45.1533 - (j + 0.5) * 0.0001])
        const col = Math.floor((e - BBOX[0]) / 10)
        const row = Math.floor((BBOX[3] - n) / 10)
        const inside = col >= 0 && col < W && row >= 0 && row < H
        expect(values[j * 9 + i], `${i},${j}`).toBe(TYPES[3].value(inside ? row * W + col : 0))
      }
    }
  })
})
