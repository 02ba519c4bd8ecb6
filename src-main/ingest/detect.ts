import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, extname, join } from 'node:path'
import { openCsv } from './csv.reader'
import { openGeoJson } from './geojson.reader'
import { openGeoPackage } from './geopackage.reader'
import { openGeoTiff } from './geotiff.reader'
import { openGpx } from './gpx.reader'
import { openKml, openKmz } from './kml.reader'
import { openShapefile } from './shapefile.reader'
import { IngestError, type LayerSource } from './types'
import { extractZip } from './zip'

/** What an upload may carry as its base file, by extension (lower case, no dot). */
export const LAYER_EXTENSIONS = ['shp', 'zip', 'geojson', 'json', 'gpkg', 'kml', 'kmz', 'gpx', 'csv', 'tif', 'tiff', 'geotif', 'geotiff'] as const

export const SUPPORTED_LABEL = 'ESRI Shapefile, GeoJSON, GeoPackage, KML, KMZ, GPX, CSV, GeoTIFF and ZIP'

export const ZIP_LIMITS = { maxEntries: 10_000, maxTotalBytes: 20 * 1024 ** 3, maxRatio: 200 }

const RASTER = new Set(['tif', 'tiff', 'geotif', 'geotiff'])

/** The uploaded parts that matter to reading layers: the base file and optional shapefile side-cars. */
export interface UploadedParts {
  base: string
  /** Original file name of the base file, as the user named it (messages and layer names use it). */
  baseName: string
  dbf?: string
  shx?: string
  prj?: string
  cpg?: string
}

export function extensionOf(name: string): string {
  return extname(name).slice(1).toLowerCase()
}

/**
 * The layer sources in an upload: one per shapefile, GeoJSON, KML, GPX track kind, GeoPackage
 * table or GeoTIFF. A zip is extracted (safely) into `workDir` first and read as a folder.
 */
export async function openSources(parts: UploadedParts, workDir: string, options: { charset?: string }): Promise<LayerSource[]> {
  const ext = extensionOf(parts.baseName)
  if (ext === 'zip') {
    // A fresh folder each time: an upload waiting for its CRS is read again when the CRS comes,
    // and the first reading's files must not stand in the way (nor be read a second time).
    const into = join(workDir, 'unzipped')
    rmSync(into, { recursive: true, force: true })
    mkdirSync(into, { recursive: true })
    await extractZip(parts.base, into, ZIP_LIMITS)
    const sources = await openFolder(into, parts.baseName, workDir, options)
    if (sources.length === 0) throw new IngestError(parts.baseName, `the zip archive holds no layer: expected a shapefile (.shp with .dbf and .shx), .geojson, .gpkg, .kml, .gpx, .csv or .tif file`)
    return sources
  }
  return openFile(parts.base, ext, parts, workDir, options)
}

async function openFile(path: string, ext: string, parts: Partial<UploadedParts> & { baseName?: string }, workDir: string, options: { charset?: string }): Promise<LayerSource[]> {
  switch (ext) {
    case 'shp':
      return [await openShapefile({ shp: path, dbf: parts.dbf, shx: parts.shx, prj: parts.prj, cpg: parts.cpg }, options)]
    case 'geojson':
    case 'json':
      return [await openGeoJson(path)]
    case 'gpkg':
      return openGeoPackage(path)
    case 'kml':
      return [await openKml(path)]
    case 'kmz': {
      const into = join(workDir, `kmz-${basename(path)}`)
      rmSync(into, { recursive: true, force: true })
      mkdirSync(into, { recursive: true })
      return [await openKmz(path, into)]
    }
    case 'gpx':
      return openGpx(path)
    case 'csv':
      return [await openCsv(path, options)]
    default:
      if (RASTER.has(ext)) return [{ ...(await openGeoTiff(path)), path }]
      throw new IngestError(parts.baseName ?? basename(path), `${SUPPORTED_LABEL} files are supported. You uploaded a ${ext || 'file without extension'} file`)
  }
}

function walk(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) out.push(...walk(path))
    else out.push(path)
  }
  return out.sort()
}

/** Every readable layer file in an extracted archive; shapefile side-cars are matched by base name. */
async function openFolder(dir: string, zipName: string, workDir: string, options: { charset?: string }): Promise<LayerSource[]> {
  const files = walk(dir)
  const byStem = new Map<string, Map<string, string>>()
  for (const file of files) {
    const stem = join(dirname(file), basename(file, extname(file))).toLowerCase()
    const parts = byStem.get(stem) ?? new Map<string, string>()
    parts.set(extensionOf(file), file)
    byStem.set(stem, parts)
  }
  const sources: LayerSource[] = []
  for (const file of files) {
    const ext = extensionOf(file)
    if (ext === 'zip' || !(LAYER_EXTENSIONS as readonly string[]).includes(ext)) continue
    // A .json next to a shapefile or raster is usually metadata, not a layer.
    if (ext === 'json' && files.length > 1) continue
    const stem = join(dirname(file), basename(file, extname(file))).toLowerCase()
    const siblings = byStem.get(stem)!
    const inner = { baseName: `${zipName}/${file.slice(dir.length + 1)}`, dbf: siblings.get('dbf'), shx: siblings.get('shx'), prj: siblings.get('prj'), cpg: siblings.get('cpg') }
    sources.push(...(await openFile(file, ext, inner, workDir, options)))
  }
  return sources
}
