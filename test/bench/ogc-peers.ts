import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { prng } from '../helpers/prng'

/**
 * The peers the OGC services are measured beside: MapServer 8 and QGIS Server 3.22 from Debian,
 * each as persistent FastCGI processes (spawn-fcgi) behind lighttpd, serving the same GeoPackage
 * Mapshelf ingests (a 1,000,000-point layer and a large elevation model). Everything is written under `dir`; nothing outside it is read but the programs.
 */

export const PEER_PROGRAMS = {
  mapserv: '/usr/bin/mapserv',
  qgis: '/usr/lib/cgi-bin/qgis_mapserv.fcgi',
  spawnFcgi: '/usr/bin/spawn-fcgi',
  lighttpd: '/usr/sbin/lighttpd',
  ogr2ogr: '/usr/bin/ogr2ogr',
  python: '/usr/bin/python3'
} as const

/** The Debian packages that provide the peers, for the message when one is missing. */
export const PEER_PACKAGES = 'mapserver-bin cgi-mapserver qgis-server spawn-fcgi lighttpd gdal-bin python3-qgis'

export function missingPeerPrograms(): string[] {
  return Object.entries(PEER_PROGRAMS)
    .filter(([, path]) => !existsSync(path))
    .map(([name]) => name)
}

/** The generated point layer: `count` points in lon 10..12, lat 45..46 with four attributes. */
export const POINTS_EXTENT = [10, 45, 12, 46] as const
export const POINTS_LAYER = 'bigpoints'

/**
 * A GeoPackage of `count` seeded random points (CSV written here, converted by ogr2ogr), kept
 * between runs: the same file is served by every server under test.
 */
export function pointsGeoPackage(dir: string, count: number, log: (line: string) => void): string {
  mkdirSync(dir, { recursive: true })
  const gpkg = join(dir, `${POINTS_LAYER}-${count}.gpkg`)
  if (existsSync(gpkg)) return gpkg
  const csv = join(dir, `${POINTS_LAYER}.csv`)
  const next = prng(20261207)
  const [x0, y0, x1, y1] = POINTS_EXTENT
  const kinds = ['well', 'spring', 'borehole', 'gauge']
  const lines = ['id,name,kind,value,lon,lat']
  for (let i = 0; i < count; i++) {
    lines.push(`${i},point ${i},${kinds[i % 4]},${(next() * 1000).toFixed(2)},${(x0 + next() * (x1 - x0)).toFixed(6)},${(y0 + next() * (y1 - y0)).toFixed(6)}`)
  }
  writeFileSync(csv, `${lines.join('\n')}\n`)
  log(`Converting ${count.toLocaleString('en')} points to a GeoPackage ...`)
  const tmp = `${gpkg}.part`
  rmSync(tmp, { force: true })
  execFileSync(PEER_PROGRAMS.ogr2ogr, ['-f', 'GPKG', tmp, csv, '-nln', POINTS_LAYER, '-a_srs', 'EPSG:4326', '-oo', 'X_POSSIBLE_NAMES=lon', '-oo', 'Y_POSSIBLE_NAMES=lat', '-oo', 'KEEP_GEOM_COLUMNS=NO', '-oo', 'AUTODETECT_TYPE=YES'], { stdio: 'ignore' })
  execFileSync('mv', [tmp, gpkg])
  rmSync(csv, { force: true })
  return gpkg
}

export const RASTER_LAYER = 'dem'

/**
 * A large elevation model over the same extent: `size` x `size` Float32 pixels of a smooth seeded
 * surface, tiled and compressed, with overviews (written by GDAL's Python bindings), kept between runs.
 */
export function demGeoTiff(dir: string, size: number, log: (line: string) => void): string {
  mkdirSync(dir, { recursive: true })
  const tif = join(dir, `${RASTER_LAYER}-${size}.tif`)
  if (existsSync(tif)) return tif
  log(`Writing a ${size} x ${size} Float32 elevation model ...`)
  const [x0, y0, x1, y1] = POINTS_EXTENT
  const script = `
import sys, math
import numpy as np
from osgeo import gdal, osr
path, size = sys.argv[1], int(sys.argv[2])
x0, y0, x1, y1 = ${x0}, ${y0}, ${x1}, ${y1}
driver = gdal.GetDriverByName("GTiff")
ds = driver.Create(path, size, size, 1, gdal.GDT_Float32, ["TILED=YES", "COMPRESS=DEFLATE", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "BIGTIFF=IF_SAFER"])
ds.SetGeoTransform([x0, (x1 - x0) / size, 0, y1, 0, -(y1 - y0) / size])
srs = osr.SpatialReference(); srs.ImportFromEPSG(4326); ds.SetProjection(srs.ExportToWkt())
band = ds.GetRasterBand(1); band.SetNoDataValue(-9999)
cols = np.arange(size, dtype=np.float32) / size
for top in range(0, size, 512):
    rows = np.arange(top, min(size, top + 512), dtype=np.float32)[:, None] / size
    block = 800 + 600 * np.sin(cols * 9.1) * np.cos(rows * 7.3) + 250 * np.sin((cols + rows) * 31.0)
    band.WriteArray(block.astype(np.float32), 0, top)
ds.BuildOverviews("AVERAGE", [2, 4, 8, 16, 32])
ds = None
`
  const tmp = `${tif}.part.tif`
  rmSync(tmp, { force: true })
  execFileSync(PEER_PROGRAMS.python, ['-c', script, tmp, String(size)], { stdio: ['ignore', 'ignore', 'pipe'] })
  execFileSync('mv', [tmp, tif])
  return tif
}

function mapfile(gpkg: string, tif: string, onlineResource: string): string {
  const [x0, y0, x1, y1] = POINTS_EXTENT
  return `MAP
  NAME "peer"
  STATUS ON
  SIZE 256 256
  EXTENT ${x0} ${y0} ${x1} ${y1}
  UNITS DD
  PROJECTION "init=epsg:4326" END
  OUTPUTFORMAT NAME "png" DRIVER AGG/PNG MIMETYPE "image/png" IMAGEMODE RGBA EXTENSION "png" TRANSPARENT ON END
  OUTPUTFORMAT NAME "geojson" DRIVER "OGR/GEOJSON" MIMETYPE "application/json" FORMATOPTION "STORAGE=memory" FORMATOPTION "FORM=SIMPLE" END
  WEB
    METADATA
      "ows_title" "peer"
      "ows_onlineresource" "${onlineResource}"
      "ows_srs" "EPSG:4326 EPSG:3857"
      "ows_enable_request" "*"
      "wfs_getfeature_formatlist" "geojson"
      "wfs_namespace_prefix" "geonode"
      "wfs_namespace_uri" "http://www.geonode.org/"
    END
  END
  SYMBOL NAME "circle" TYPE ELLIPSE FILLED TRUE POINTS 1 1 END END
  LAYER
    NAME "${POINTS_LAYER}"
    TYPE POINT
    STATUS ON
    CONNECTIONTYPE OGR
    CONNECTION "${gpkg}"
    DATA "${POINTS_LAYER}"
    PROJECTION "init=epsg:4326" END
    METADATA "ows_title" "${POINTS_LAYER}" "gml_include_items" "all" "gml_featureid" "fid" "gml_types" "auto" "ows_extent" "${x0} ${y0} ${x1} ${y1}" END
    CLASS STYLE SYMBOL "circle" SIZE 4 COLOR 220 40 40 END END
  END
  LAYER
    NAME "${RASTER_LAYER}"
    TYPE RASTER
    STATUS ON
    DATA "${tif}"
    PROJECTION "init=epsg:4326" END
    PROCESSING "SCALE=AUTO"
    PROCESSING "RESAMPLE=NEAREST"
    METADATA "ows_title" "${RASTER_LAYER}" "ows_extent" "${x0} ${y0} ${x1} ${y1}" END
  END
END
`
}

/** A QGIS project serving the layer over WMS and WFS, written by QGIS itself (python3-qgis, headless). */
function writeQgisProject(project: string, gpkg: string, tif: string, onlineResource: string): void {
  const script = `
import sys
from qgis.core import QgsApplication, QgsProject, QgsVectorLayer, QgsRasterLayer, QgsMarkerSymbol, QgsSingleSymbolRenderer
app = QgsApplication([], False)
app.initQgis()
project, gpkg, url, name, tif, raster_name = sys.argv[1:7]
layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
if not layer.isValid():
    sys.exit("the GeoPackage layer is not valid")
layer.setRenderer(QgsSingleSymbolRenderer(QgsMarkerSymbol.createSimple({"name": "circle", "color": "220,40,40", "outline_style": "no", "size": "1"})))
p = QgsProject.instance()
p.setCrs(layer.crs())
p.addMapLayer(layer)
raster = QgsRasterLayer(tif, raster_name)
if not raster.isValid():
    sys.exit("the GeoTIFF is not valid")
p.addMapLayer(raster)
p.writeEntry("WMSServiceCapabilities", "/", True)
p.writeEntry("WMSServiceTitle", "/", "peer")
p.writeEntry("WMSUrl", "/", url)
p.writeEntry("WFSUrl", "/", url)
p.writeEntry("WMSCrsList", "/", ["EPSG:4326", "EPSG:3857"])
p.writeEntry("WFSLayers", "/", [layer.id()])
p.writeEntryDouble("WFSLayersPrecision", "/" + layer.id(), 6)
if not p.write(project):
    sys.exit("could not write the project")
app.exitQgis()
`
  execFileSync(PEER_PROGRAMS.python, ['-c', script, project, gpkg, onlineResource, POINTS_LAYER, tif, RASTER_LAYER], { env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' }, stdio: ['ignore', 'ignore', 'pipe'] })
}

export interface Peers {
  /** The WMS/WFS address of each peer, without query. */
  urls: { mapserver: string; qgis: string }
  fcgiProcesses: number
  stop(): Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function pidsOf(file: string): number[] {
  if (!existsSync(file)) return []
  return execFileSync('cat', [file]).toString().split(/\s+/).filter(Boolean).map(Number)
}

/**
 * Starts both peers on `port`, `/mapserv` and `/qgis`, each with `processes` FastCGI processes,
 * and waits until each answers a GetCapabilities.
 */
export async function startPeers(options: { dir: string; gpkg: string; tif: string; port: number; processes: number; log: (line: string) => void }): Promise<Peers> {
  const { dir, gpkg, tif, port, processes } = options
  const missing = missingPeerPrograms()
  if (missing.length > 0) throw new Error(`the reference servers are not installed (missing ${missing.join(', ')}; Debian: apt-get install ${PEER_PACKAGES})`)
  const run = join(dir, 'peers')
  rmSync(run, { recursive: true, force: true })
  mkdirSync(run, { recursive: true })
  const base = `http://127.0.0.1:${port}`
  const map = join(run, 'peer.map')
  writeFileSync(map, mapfile(gpkg, tif, `${base}/mapserv?`))
  writeFileSync(join(run, 'mapserver.conf'), `CONFIG\n  ENV\n    MS_MAPFILE "${map}"\n  END\nEND\n`)
  const project = join(run, 'peer.qgs')
  writeQgisProject(project, gpkg, tif, `${base}/qgis`)
  const env = { ...process.env, QT_QPA_PLATFORM: 'offscreen', QGIS_PROJECT_FILE: project, QGIS_SERVER_LOG_LEVEL: '2', MAPSERVER_CONFIG_FILE: join(run, 'mapserver.conf') }
  const pidFiles = [join(run, 'qgis.pid'), join(run, 'mapserv.pid')]
  execFileSync(PEER_PROGRAMS.spawnFcgi, ['-s', join(run, 'qgis.sock'), '-F', String(processes), '-P', pidFiles[0], '--', PEER_PROGRAMS.qgis], { env, stdio: 'ignore' })
  execFileSync(PEER_PROGRAMS.spawnFcgi, ['-s', join(run, 'mapserv.sock'), '-F', String(processes), '-P', pidFiles[1], '--', PEER_PROGRAMS.mapserv], { env, stdio: 'ignore' })
  writeFileSync(
    join(run, 'lighttpd.conf'),
    `server.modules = ("mod_fastcgi")
server.document-root = "${run}"
server.bind = "127.0.0.1"
server.port = ${port}
server.errorlog = "${join(run, 'lighttpd-error.log')}"
server.max-keep-alive-requests = 100000
fastcgi.server = (
  "/qgis" => (( "socket" => "${join(run, 'qgis.sock')}", "check-local" => "disable" )),
  "/mapserv" => (( "socket" => "${join(run, 'mapserv.sock')}", "check-local" => "disable" ))
)
`
  )
  const lighttpd: ChildProcess = spawn(PEER_PROGRAMS.lighttpd, ['-D', '-f', join(run, 'lighttpd.conf')], { stdio: 'ignore' })
  const stop = async () => {
    lighttpd.kill('SIGTERM')
    // MapServer's FastCGI processes ignore SIGTERM: escalate for our own pids only.
    for (const file of pidFiles) for (const pid of pidsOf(file)) try { process.kill(pid, 'SIGTERM') } catch {}
    await sleep(300)
    for (const file of pidFiles) for (const pid of pidsOf(file)) try { process.kill(pid, 'SIGKILL') } catch {}
  }
  const urls = { mapserver: `${base}/mapserv`, qgis: `${base}/qgis` }
  try {
    for (const [name, url] of Object.entries(urls)) {
      let ok = false
      for (let attempt = 0; attempt < 60 && !ok; attempt++) {
        try {
          const res = await fetch(`${url}?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0`)
          const text = await res.text()
          ok = res.ok && text.includes(POINTS_LAYER) && text.includes(RASTER_LAYER)
        } catch {
          // not listening yet
        }
        if (!ok) await sleep(500)
      }
      if (!ok) throw new Error(`${name} did not answer GetCapabilities with the layer at ${url}`)
    }
  } catch (error) {
    await stop()
    throw error
  }
  options.log(`Reference servers up: MapServer at ${urls.mapserver}, QGIS Server at ${urls.qgis} (${processes} FastCGI processes each)`)
  return { urls, fcgiProcesses: processes, stop }
}
