import { type GeotiffWriterMetadata, writeArrayBuffer } from 'geotiff'
import { isGeographic } from '../crs'
import { type OutputGrid, type SampleType, bytesPerSample } from './raster'

/** Where geotiff's writer puts the image data: its IFD and geokeys fill the bytes before. */
const DATA_OFFSET = 1000

/** The most bands whose per-band tags still fit in the header (64 Float64 bands with the longest nodata take about 750 bytes). */
export const MAX_HEADER_BANDS = 64

const SAMPLE_FORMAT: Record<SampleType, number> = { Byte: 1, UInt16: 1, UInt32: 1, Int8: 2, Int16: 2, Int32: 2, Float32: 3, Float64: 3 }

export interface TiffLayout {
  grid: OutputGrid
  bands: number
  sampleType: SampleType
  noData: number | null
  rgb: boolean
}

/** The byte length of the one strip that follows the header. */
export function stripBytes(layout: TiffLayout): number {
  return layout.grid.width * layout.grid.height * layout.bands * bytesPerSample(layout.sampleType)
}

/**
 * The header of a GeoTIFF (big-endian, one uncompressed pixel-interleaved strip): the IFD with
 * the grid's geotransform and the CRS as geokeys, written by geotiff's writer. The caller streams
 * the strip's samples after it, big-endian, row by row.
 */
export function geoTiffHeader(layout: TiffLayout): Buffer {
  const { grid, bands, sampleType } = layout
  // Three tags hold a value per band; past this many the header would not fit before DATA_OFFSET.
  if (bands > MAX_HEADER_BANDS) throw new Error(`a GeoTIFF header holds at most ${MAX_HEADER_BANDS} bands`)
  const bits = bytesPerSample(sampleType) * 8
  const rgb = layout.rgb && bands >= 3
  const extra = bands - (rgb ? 3 : 1)
  const geographic = isGeographic(grid.epsg)
  const metadata: GeotiffWriterMetadata = {
    width: grid.width,
    height: grid.height,
    BitsPerSample: Array.from({ length: bands }, () => bits),
    SampleFormat: Array.from({ length: bands }, () => SAMPLE_FORMAT[sampleType]),
    SamplesPerPixel: bands,
    PlanarConfiguration: 1,
    PhotometricInterpretation: rgb ? 2 : 1,
    Compression: 1,
    RowsPerStrip: grid.height,
    StripByteCounts: [stripBytes(layout)],
    ModelPixelScale: [(grid.bbox[2] - grid.bbox[0]) / grid.width, (grid.bbox[3] - grid.bbox[1]) / grid.height, 0],
    ModelTiepoint: [0, 0, 0, grid.bbox[0], grid.bbox[3], 0],
    GTModelTypeGeoKey: geographic ? 2 : 1,
    GTRasterTypeGeoKey: 1,
    ...(geographic ? { GeographicTypeGeoKey: grid.epsg } : { ProjectedCSTypeGeoKey: grid.epsg })
  }
  if (extra > 0) metadata.ExtraSamples = Array.from({ length: extra }, () => 0)
  if (layout.noData !== null) metadata.GDAL_NODATA = Number.isNaN(layout.noData) ? 'nan' : String(layout.noData)
  // One sample stands in for the image: only the header (the first DATA_OFFSET bytes) is kept.
  const written = Buffer.from(writeArrayBuffer(new Uint8Array([0]), metadata))
  return written.subarray(0, DATA_OFFSET)
}
