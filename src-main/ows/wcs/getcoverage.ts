import type { Response } from 'express'
import { drained, dropWhenStalled } from '../../streaming'
import { type Bbox, type RequestCrs, httpCrsOf, parseCrs, toXY, transformBbox } from '../crs'
import { OwsException } from '../exceptions'
import { type OwsRequest, param, paramValues, requiredParam } from '../request'
import type { OwsAnswer, OwsContext } from '../types'
import { type Coverage, type WcsVersion, axisLabels, bandNames, coverageIdOf, findCoverage } from './coverages'
import { type OutputGrid, type RasterInfo, checkOutputSize, renderCoverage } from './raster'
import { MAX_HEADER_BANDS, geoTiffHeader, stripBytes } from './tiff-header'

const TIFF_FORMATS = new Set(['geotiff', 'image/tiff', 'image/geotiff', 'tiff', 'tif', 'image/tiff;application=geotiff', 'image/tiff; application=geotiff'])

function checkFormat(raw: string | undefined, locator: string, code: 'InvalidFormat' | 'InvalidParameterValue'): void {
  if (raw !== undefined && !TIFF_FORMATS.has(raw.trim().toLowerCase())) {
    throw new OwsException(code, `FORMAT=${raw} is not offered; coverages come as GeoTIFF (image/tiff).`, locator)
  }
}

/**
 * The bands asked for (0-based), in the order asked: WCS 1.0.0's BAND lists numbers from 1 (the
 * axis DescribeCoverage names Band), WCS 2.0's RANGESUBSET names fields as DescribeCoverage does
 * (GRAY_INDEX, RED_BAND..., Band1...), numbers, or low:high intervals of either. All bands when absent.
 */
function bandList(info: RasterInfo, raw: string | undefined, locator: string): number[] {
  const all = Array.from({ length: info.bands }, (_, i) => i)
  const bands = raw ? pickBands(info, raw, locator, all) : all
  if (bands.length > MAX_BANDS) {
    throw new OwsException('InvalidParameterValue', `The answer would hold ${bands.length} bands; at most ${MAX_BANDS} are answered at once. Ask for fewer with ${locator}.`, locator)
  }
  return bands
}

function pickBands(info: RasterInfo, raw: string, locator: string, all: number[]): number[] {
  const names = bandNames(info).map((n) => n.toLowerCase())
  const one = (token: string) => {
    const t = token.trim().toLowerCase()
    const byName = names.indexOf(t)
    const index = byName >= 0 ? byName : /^\d+$/.test(t) ? Number(t) - 1 : -1
    if (index < 0 || index >= info.bands) throw new OwsException('InvalidParameterValue', `${locator}: ${token.trim()} is not a band of this coverage (${bandNames(info).join(', ')}, or 1 to ${info.bands}).`, locator)
    return index
  }
  return raw.split(',').flatMap((part) => {
    const [low, high] = part.split(':')
    if (high === undefined) return [one(low)]
    const [a, b] = [one(low), one(high)]
    return all.slice(Math.min(a, b), Math.max(a, b) + 1)
  })
}

/** Bands one answer holds at most: their per-band tags must fit the space geotiff's writer leaves for the header. */
const MAX_BANDS = MAX_HEADER_BANDS

/** Nearest neighbour is the one interpolation offered (1.0.0's name, or 2.0's URI). */
function checkInterpolation(req: OwsRequest): void {
  const asked = param(req, 'interpolation')
  if (asked && !/^(nearest[ _-]?neighbou?r|.*\/nearest-neighbou?r)$/i.test(asked.trim())) {
    throw new OwsException('InvalidParameterValue', `INTERPOLATION=${asked} is not offered; coverages are resampled by nearest neighbour.`, 'interpolation')
  }
}

function numberList(raw: string, count: number, locator: string): number[] {
  const values = raw.split(',').map((v) => Number(v.trim()))
  if (values.length < count || values.some((v) => !Number.isFinite(v))) throw new OwsException('InvalidParameterValue', `${locator} needs ${count} comma-separated numbers.`, locator)
  return values
}

function positiveInt(raw: string, locator: string): number {
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new OwsException('InvalidParameterValue', `${locator} must be a whole number of pixels (at least 1).`, locator)
  return value
}

const intersects = (a: Bbox, b: Bbox) => a[0] < b[2] && a[2] > b[0] && a[1] < b[3] && a[3] > b[1]

/**
 * The native pixels a native-CRS box touches, snapped outwards to the grid; null when it misses
 * the coverage. A box of no width or height (low = high, as GDAL asks for one pixel) takes the
 * pixel under it.
 */
function nativeWindow(info: RasterInfo, box: Bbox): OutputGrid | null {
  const eps = 1e-6
  const c0 = Math.max(0, Math.floor((box[0] - info.originX) / info.resX + eps))
  const c1 = Math.min(info.width, Math.max(c0 + 1, Math.ceil((box[2] - info.originX) / info.resX - eps)))
  const r0 = Math.max(0, Math.floor((info.originY - box[3]) / info.resY + eps))
  const r1 = Math.min(info.height, Math.max(r0 + 1, Math.ceil((info.originY - box[1]) / info.resY - eps)))
  if (c1 <= c0 || r1 <= r0) return null
  const bbox: Bbox = [info.originX + c0 * info.resX, info.originY - r1 * info.resY, info.originX + c1 * info.resX, info.originY - r0 * info.resY]
  return { epsg: 0, bbox, width: c1 - c0, height: r1 - r0 }
}

/** A grid in another CRS covering the same ground with about as many pixels. */
function reprojected(grid: OutputGrid, from: number, to: number, box: Bbox | null): OutputGrid | null {
  const bbox = box ?? transformBbox(grid.bbox, from, to)
  if (!bbox) return null
  const dx = bbox[2] - bbox[0]
  const dy = bbox[3] - bbox[1]
  const res = Math.sqrt((dx * dy) / (grid.width * grid.height))
  return { epsg: to, bbox, width: Math.max(1, Math.round(dx / res)), height: Math.max(1, Math.round(dy / res)) }
}

/** Streams a GeoTIFF of a grid: the header, then the samples band of rows by band of rows, with backpressure. */
function tiffAnswer(coverage: Coverage, grid: OutputGrid, name: string, bands: number[]): OwsAnswer {
  const { info, layer } = coverage
  checkOutputSize(grid, info, bands.length)
  const rgb = info.rgb && bands[0] === 0 && bands[1] === 1 && bands[2] === 2
  const layout = { grid, bands: bands.length, sampleType: info.sampleType, noData: info.noData, rgb }
  const header = geoTiffHeader(layout)
  return {
    type: 'image/tiff',
    headers: { 'Content-Disposition': `inline; filename="${name}.tif"`, 'Content-Length': String(header.length + stripBytes(layout)) },
    body: async (res: Response) => {
      dropWhenStalled(res)
      const write = async (chunk: Buffer) => {
        if (res.destroyed) throw new Error('the client went away')
        if (!res.write(chunk)) await drained(res)
      }
      await write(header)
      await renderCoverage(layer.rasterFile, info, layer.srid, grid, bands, write)
      res.end()
    }
  }
}

async function downloadable(ctx: OwsContext, coverage: Coverage, locator: string): Promise<void> {
  if (!(await ctx.services.owsLayers.mayDownload(ctx.caller, coverage.layer))) {
    throw new OwsException('NoApplicableCode', `You may not download ${coverage.layer.alternate}.`, locator, 403)
  }
}

/** WCS 1.0.0: BBOX in CRS, WIDTH/HEIGHT or RESX/RESY, RESPONSE_CRS. */
async function getCoverage100(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const coverage = await findCoverage(ctx, req, requiredParam(req, 'coverage'), '1.0.0', 'COVERAGE')
  checkFormat(requiredParam(req, 'format'), 'FORMAT', 'InvalidFormat')
  checkInterpolation(req)
  await downloadable(ctx, coverage, 'COVERAGE')
  const crs = parseCrs(requiredParam(req, 'crs'), 'CRS', { plainIsNorthFirst: false })
  const responseRaw = param(req, 'response_crs')
  const response = responseRaw ? parseCrs(responseRaw, 'RESPONSE_CRS', { plainIsNorthFirst: false }) : crs
  const asked = toXY(numberList(requiredParam(req, 'bbox'), 4, 'BBOX').slice(0, 4) as Bbox, crs)
  if (!(asked[0] < asked[2] && asked[1] < asked[3])) throw new OwsException('InvalidParameterValue', 'BBOX: the minimum must be below the maximum on both axes.', 'BBOX')
  const bbox = response.epsg === crs.epsg ? asked : transformBbox(asked, crs.epsg, response.epsg)
  const native = bbox && transformBbox(bbox, response.epsg, coverage.layer.srid)
  if (!bbox || !native || !intersects(native, coverage.info.bbox)) throw new OwsException('InvalidParameterValue', 'BBOX does not overlap the coverage.', 'BBOX')
  let width: number
  let height: number
  const w = param(req, 'width')
  const resx = param(req, 'resx')
  if (w) {
    width = positiveInt(w, 'WIDTH')
    height = positiveInt(requiredParam(req, 'height'), 'HEIGHT')
  } else if (resx) {
    const [rx] = numberList(resx, 1, 'RESX')
    const [ry] = numberList(requiredParam(req, 'resy'), 1, 'RESY')
    if (rx <= 0 || ry <= 0) throw new OwsException('InvalidParameterValue', 'RESX and RESY must be positive.', 'RESX')
    width = Math.max(1, Math.round((bbox[2] - bbox[0]) / rx))
    height = Math.max(1, Math.round((bbox[3] - bbox[1]) / ry))
  } else {
    throw new OwsException('MissingParameterValue', 'Either WIDTH and HEIGHT or RESX and RESY are required.', 'WIDTH')
  }
  return tiffAnswer(coverage, { epsg: response.epsg, bbox, width, height }, coverage.layer.name, bandList(coverage.info, param(req, 'band'), 'Band'))
}

const X_AXES = new Set(['x', 'i', 'e', 'east', 'easting', 'long', 'lon', 'longitude'])
const Y_AXES = new Set(['y', 'j', 'n', 'north', 'northing', 'lat', 'latitude'])

/** An axis as WCS 2.0 names it (a label, or an axis URI ending in one): x (east) or y (north). */
function axisOf(raw: string, locator: string): 'x' | 'y' {
  const label = raw.trim().split('/').pop()!.toLowerCase()
  if (X_AXES.has(label)) return 'x'
  if (Y_AXES.has(label)) return 'y'
  throw new OwsException('InvalidAxisLabel', `${raw} is not an axis of this coverage.`, locator)
}

const SUBSET = /^\s*([^\s(,]+)\s*(?:,\s*([^(]+?)\s*)?\(\s*([^,)]*?)\s*(?:,\s*([^)]*?)\s*)?\)\s*$/

interface Trim {
  axis: 'x' | 'y'
  low: number | null
  high: number | null
}

function readSubset(raw: string): Trim {
  const m = SUBSET.exec(raw)
  if (!m) throw new OwsException('InvalidSubsetting', `SUBSET=${raw} is not of the form axis(low,high).`, 'subset')
  const axis = axisOf(m[1], 'subset')
  if (m[4] === undefined) throw new OwsException('InvalidSubsetting', `SUBSET=${raw} slices the coverage; only trims (axis(low,high)) are offered.`, 'subset')
  const bound = (v: string) => {
    if (v === '*' || v === '') return null
    const n = Number(v.replace(/^"|"$/g, ''))
    if (!Number.isFinite(n)) throw new OwsException('InvalidSubsetting', `SUBSET=${raw}: ${v} is not a number.`, 'subset')
    return n
  }
  const trim = { axis, low: bound(m[3]), high: bound(m[4]) }
  if (trim.low !== null && trim.high !== null && trim.low > trim.high) throw new OwsException('InvalidSubsetting', `SUBSET=${raw}: the low bound is above the high one.`, 'subset')
  return trim
}

/** axis(value) pairs of SCALEAXES, SCALESIZE and SCALEEXTENT. */
function axisValues(raw: string, locator: string): { axis: 'x' | 'y'; value: string }[] {
  return raw.split(/,(?![^(]*\))/).map((part) => {
    const m = /^\s*([^(\s]+)\s*\(\s*([^)]*)\s*\)\s*$/.exec(part)
    if (!m) throw new OwsException('InvalidParameterValue', `${locator}=${raw} is not a list of axis(value).`, locator)
    return { axis: axisOf(m[1], locator), value: m[2] }
  })
}

function scaled(grid: OutputGrid, req: OwsRequest): OutputGrid {
  let { width, height } = grid
  const factor = param(req, 'scalefactor')
  if (factor) {
    const f = Number(factor)
    if (!(f > 0)) throw new OwsException('InvalidParameterValue', 'SCALEFACTOR must be a positive number.', 'scalefactor')
    width = Math.max(1, Math.round(width / f))
    height = Math.max(1, Math.round(height / f))
  }
  const axes = param(req, 'scaleaxes')
  for (const { axis, value } of axes ? axisValues(axes, 'scaleaxes') : []) {
    const f = Number(value)
    if (!(f > 0)) throw new OwsException('InvalidParameterValue', 'SCALEAXES factors must be positive numbers.', 'scaleaxes')
    if (axis === 'x') width = Math.max(1, Math.round(grid.width / f))
    else height = Math.max(1, Math.round(grid.height / f))
  }
  const sizes = param(req, 'scalesize')
  for (const { axis, value } of sizes ? axisValues(sizes, 'scalesize') : []) {
    if (axis === 'x') width = positiveInt(value, 'scalesize')
    else height = positiveInt(value, 'scalesize')
  }
  const extent = param(req, 'scaleextent')
  for (const { axis, value } of extent ? axisValues(extent, 'scaleextent') : []) {
    const [lo, hi] = value.split(':').map(Number)
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi <= lo) throw new OwsException('InvalidParameterValue', 'SCALEEXTENT needs axis(low:high) with whole numbers, low below high.', 'scaleextent')
    if (axis === 'x') width = hi - lo
    else height = hi - lo
  }
  return { ...grid, width, height }
}

function crsParam(req: OwsRequest, name: string, fallback: number): RequestCrs {
  const raw = param(req, name)
  return raw ? parseCrs(raw, name, { plainIsNorthFirst: true }) : { epsg: fallback, name: httpCrsOf(fallback), northFirst: axisLabels(fallback).northFirst }
}

/**
 * WCS 2.0.1: trims (SUBSET) on the axes DescribeCoverage labels (or x/y, E/N, Long/Lat) in
 * SUBSETTINGCRS, OUTPUTCRS, and the scaling extension (SCALEFACTOR, SCALEAXES, SCALESIZE,
 * SCALEEXTENT). No subset is the whole coverage at its own resolution. GeoServer's GeoTIFF
 * options (compression, tiling) are accepted; the answer is one uncompressed strip.
 */
async function getCoverage201(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const coverage = await findCoverage(ctx, req, requiredParam(req, 'coverageid'), '2.0.1', 'coverageId')
  checkFormat(param(req, 'format'), 'format', 'InvalidParameterValue')
  checkInterpolation(req)
  await downloadable(ctx, coverage, 'coverageId')
  const { info, layer } = coverage
  const native = layer.srid
  const subsetting = crsParam(req, 'subsettingcrs', native)
  const output = crsParam(req, 'outputcrs', native)
  const whole = subsetting.epsg === native ? info.bbox : transformBbox(info.bbox, native, subsetting.epsg)
  if (!whole) throw new OwsException('InvalidParameterValue', 'The coverage cannot be expressed in SUBSETTINGCRS.', 'subsettingCrs')
  const box: Bbox = [...whole]
  const trims = paramValues(req, 'subset').map(readSubset)
  for (const trim of trims) {
    const [lo, hi] = trim.axis === 'x' ? [0, 2] : [1, 3]
    if (trim.low !== null) box[lo] = Math.max(box[lo], trim.low)
    if (trim.high !== null) box[hi] = Math.min(box[hi], trim.high)
  }
  const nativeBox = subsetting.epsg === native ? box : transformBbox(box, subsetting.epsg, native)
  const window = nativeBox && box[0] <= box[2] && box[1] <= box[3] ? nativeWindow(info, nativeBox) : null
  if (!window) throw new OwsException('InvalidSubsetting', 'The subset does not overlap the coverage.', 'subset')
  let grid: OutputGrid | null = { ...window, epsg: native }
  if (output.epsg !== native) {
    const exact = trims.length > 0 && subsetting.epsg === output.epsg ? box : null
    grid = reprojected(grid, native, output.epsg, exact)
    if (!grid) throw new OwsException('InvalidParameterValue', 'The coverage cannot be expressed in OUTPUTCRS.', 'outputCrs')
  }
  return tiffAnswer(coverage, scaled(grid, req), coverageIdOf(layer, '2.0.1'), bandList(info, param(req, 'rangesubset'), 'rangeSubset'))
}

export function getCoverage(ctx: OwsContext, req: OwsRequest, version: WcsVersion): Promise<OwsAnswer> {
  return version === '2.0.1' ? getCoverage201(ctx, req) : getCoverage100(ctx, req)
}
