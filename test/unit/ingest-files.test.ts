import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Feature, Geometry } from 'geojson'
import { GeoTIFFImage } from 'geotiff'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { openGeoTiff, renderGeoTiffPreview } from '../../src-main/ingest/geotiff.reader'
import { readIsoMetadata } from '../../src-main/ingest/iso-metadata'
import { defaultSld, readSld } from '../../src-main/ingest/sld'
import { docTypeOf, imageThumbnail, vectorThumbnail } from '../../src-main/ingest/thumbnail'
import { IngestError } from '../../src-main/ingest/types'
import { extractZip, listZip } from '../../src-main/ingest/zip'
import {
  FIXTURES_DIR,
  buildZip,
  corruptEntryData,
  makeTempDir,
  markEncrypted,
  readPng,
  renameEntry,
  understateSize,
  writeGeoTiff,
  writeJpeg,
  writePlainTiff,
  writePng
} from '../helpers/fixtures-files'

let tmp: { dir: string; remove: () => Promise<void> }
let counter = 0
const fresh = async (name: string) => {
  const dir = path.join(tmp.dir, `${++counter}-${name}`)
  await mkdir(dir, { recursive: true })
  return dir
}

beforeAll(async () => {
  tmp = await makeTempDir()
})
afterAll(async () => {
  await tmp.remove()
})

const limits = { maxEntries: 100, maxTotalBytes: 100 * 1024 * 1024, maxRatio: 100 }

async function zipFile(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(await fresh('zip'), name)
  await writeFile(file, bytes)
  return file
}

async function refusal(promise: Promise<unknown>): Promise<IngestError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason
  )
  expect(error).toBeInstanceOf(IngestError)
  return error as IngestError
}

describe('extractZip', () => {
  it('extracts files, skipping __MACOSX and dotfiles, and lists what it wrote', async () => {
    const zip = await zipFile(
      'roads.zip',
      await buildZip([
        { name: 'roads/roads.shp', data: 'shp' },
        { name: 'roads/roads.dbf', data: 'dbf', store: true },
        { name: '__MACOSX/roads/._roads.shp', data: 'junk' },
        { name: 'roads/.DS_Store', data: 'junk' },
        { name: 'readme.txt', data: 'hello' }
      ])
    )
    const dest = path.join(await fresh('out'), 'x')
    const files = await extractZip(zip, dest, limits)
    expect(files).toEqual(['roads/roads.shp', 'roads/roads.dbf', 'readme.txt'])
    expect(await readFile(path.join(dest, 'roads', 'roads.dbf'), 'utf8')).toBe('dbf')
    expect((await readdir(dest)).sort()).toEqual(['readme.txt', 'roads'])
  })

  it('lists entries without extracting', async () => {
    const zip = await zipFile('a.zip', await buildZip([{ name: 'a/b.txt', data: 'abc' }]))
    expect(await listZip(zip)).toEqual([{ name: 'a/b.txt', size: 3, compressedSize: expect.any(Number), directory: false, encrypted: false }])
  })

  it.each([
    ['aa/evil.txt', '../evil.txt'],
    ['x/aa/aa/e.txt', 'x/../../e.txt'],
    ['aa/evil2.txt', '..\\evil2.txt'],
    ['xabs.txt', '/abs.txt'],
    ['xxxwin.txt', 'C:/win.txt']
  ])('refuses an entry written as %s and renamed to %s', async (written, patched) => {
    const bytes = await buildZip([
      { name: 'ok.txt', data: 'fine' },
      { name: written, data: 'evil' }
    ])
    const zip = await zipFile('bad.zip', renameEntry(bytes, written, patched))
    const dest = await fresh('out')
    const error = await refusal(extractZip(zip, dest, limits))
    expect(error.message).toBe(`bad.zip: entry "${patched.replace('\\', '/')}" points outside the extraction folder`)
    expect(await readdir(dest)).toEqual([])
  })

  it('refuses symlink entries', async () => {
    const zip = await zipFile('link.zip', await buildZip([{ name: 'link', data: '/etc/passwd', mode: 0o120777 }]))
    const error = await refusal(extractZip(zip, await fresh('out'), limits))
    expect(error.message).toBe('link.zip: entry "link" is a symbolic link')
  })

  it('refuses more entries than allowed', async () => {
    const zip = await zipFile('many.zip', await buildZip(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' }))))
    const error = await refusal(extractZip(zip, await fresh('out'), { ...limits, maxEntries: 4 }))
    expect(error.message).toBe('many.zip: the archive has 5 entries, more than the 4 allowed')
  })

  it('refuses a declared total above maxTotalBytes before writing anything', async () => {
    const zip = await zipFile('big.zip', await buildZip([{ name: 'a.bin', data: Buffer.alloc(3000, 1) }, { name: 'b.bin', data: Buffer.alloc(3000, 2) }]))
    const dest = await fresh('out')
    const error = await refusal(extractZip(zip, dest, { ...limits, maxTotalBytes: 5000 }))
    expect(error.message).toBe('big.zip: the archive expands to more than 5000 bytes')
    expect(await readdir(dest)).toEqual([])
  })

  it('refuses a highly compressed entry (zip bomb) by its ratio', async () => {
    const zip = await zipFile('bomb.zip', await buildZip([{ name: 'zeros.bin', data: Buffer.alloc(50 * 1024 * 1024) }]))
    const error = await refusal(extractZip(zip, await fresh('out'), limits))
    expect(error.message).toMatch(/^bomb\.zip: entry "zeros\.bin" has a compression ratio of \d+:1, above the 100:1 allowed \(possible zip bomb\)$/)
  })

  it('stops an entry that inflates beyond its declared size and removes what it wrote', async () => {
    const bytes = await buildZip([
      { name: 'first.txt', data: 'written first' },
      { name: 'liar.bin', data: Buffer.alloc(200_000, 7) }
    ])
    const zip = await zipFile('liar.zip', understateSize(bytes, 'liar.bin', 1000))
    const dest = path.join(await fresh('out'), 'created-by-extract')
    const error = await refusal(extractZip(zip, dest, { ...limits, maxRatio: 1000 }))
    expect(error.message).toBe('liar.zip: entry "liar.bin" inflates to more than its declared 1000 bytes')
    await expect(readdir(dest)).rejects.toThrow(/ENOENT/)
  })

  it('reports a truncated archive as damaged', async () => {
    const bytes = await buildZip([{ name: 'a.txt', data: 'a'.repeat(5000) }])
    const zip = await zipFile('cut.zip', bytes.subarray(0, Math.floor(bytes.length * 0.6)))
    const error = await refusal(extractZip(zip, await fresh('out'), limits))
    expect(error.message).toMatch(/^cut\.zip: the zip archive is damaged or incomplete: .+/)
  })

  it('reports corrupt entry data as damaged and removes the files already extracted', async () => {
    const bytes = await buildZip([
      { name: 'good.txt', data: 'fine' },
      { name: 'bad.txt', data: 'some text that deflates '.repeat(200) }
    ])
    const zip = await zipFile('corrupt.zip', corruptEntryData(bytes, 'bad.txt'))
    const dest = await fresh('out')
    await writeFile(path.join(dest, 'existing.txt'), 'not ours')
    const error = await refusal(extractZip(zip, dest, limits))
    expect(error.message).toMatch(/^corrupt\.zip: the zip archive is damaged or incomplete: entry "bad\.txt": .+/)
    expect(await readdir(dest)).toEqual(['existing.txt'])
  })

  it('refuses an encrypted entry', async () => {
    const zip = await zipFile('secret.zip', markEncrypted(await buildZip([{ name: 'secret.txt', data: 'shh' }]), 'secret.txt'))
    const error = await refusal(extractZip(zip, await fresh('out'), limits))
    expect(error.message).toBe('secret.zip: entry "secret.txt" is encrypted; upload an archive without a password')
  })

  it('never overwrites a file already in the destination', async () => {
    const zip = await zipFile('clash.zip', await buildZip([{ name: 'existing.txt', data: 'from zip' }]))
    const dest = await fresh('out')
    await writeFile(path.join(dest, 'existing.txt'), 'keep me')
    const error = await refusal(extractZip(zip, dest, limits))
    expect(error.message).toBe('clash.zip: entry "existing.txt" would overwrite an existing file')
    expect(await readFile(path.join(dest, 'existing.txt'), 'utf8')).toBe('keep me')
  })
})

describe('openGeoTiff', () => {
  it('reads size, bands, bbox, EPSG:4326 and nodata from a small GeoTIFF', async () => {
    const file = await writeGeoTiff(path.join(await fresh('tif'), 'dem.tif'), {
      width: 20,
      height: 10,
      values: new Float32Array(200).map((_, i) => i),
      metadata: { ModelPixelScale: [0.5, 0.5, 0], ModelTiepoint: [0, 0, 0, 10, 50, 0], GeographicTypeGeoKey: 4326, GTModelTypeGeoKey: 2, GDAL_NODATA: '-9999' }
    })
    expect(await openGeoTiff(file)).toEqual({
      kind: 'raster',
      name: 'dem',
      file: 'dem.tif',
      format: 'geotiff',
      crs: { epsg: 4326, definition: '+proj=longlat +datum=WGS84 +no_defs +type=crs' },
      width: 20,
      height: 10,
      bands: 1,
      bandTypes: ['float32'],
      bbox: [10, 45, 20, 50],
      cloudOptimized: false,
      noData: -9999
    })
  })

  it('takes the projected EPSG code and its proj4 definition', async () => {
    const file = await writeGeoTiff(path.join(await fresh('tif'), 'utm.tif'), {
      width: 4,
      height: 4,
      values: new Uint16Array(16),
      metadata: { ProjectedCSTypeGeoKey: 32633, GTModelTypeGeoKey: 1, ModelPixelScale: [30, 30, 0], ModelTiepoint: [0, 0, 0, 400000, 5000120, 0] }
    })
    const source = await openGeoTiff(file)
    expect(source.crs).toEqual({ epsg: 32633, definition: '+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs +type=crs' })
    expect(source.bbox).toEqual([400000, 5000000, 400120, 5000120])
    expect(source.bandTypes).toEqual(['uint16'])
    expect(source.noData).toBeNull()
  })

  it('leaves the CRS unknown for a user-defined projection', async () => {
    const file = await writeGeoTiff(path.join(await fresh('tif'), 'custom.tif'), {
      width: 2,
      height: 2,
      values: new Uint8Array(4),
      metadata: { ProjectedCSTypeGeoKey: 32767, GTModelTypeGeoKey: 1, ModelPixelScale: [1, 1, 0], ModelTiepoint: [0, 0, 0, 0, 2, 0] }
    })
    expect((await openGeoTiff(file)).crs).toBeNull()
  })

  it('recognises a cloud-optimised GeoTIFF made by GDAL', async () => {
    const source = await openGeoTiff(path.join(FIXTURES_DIR, 'cog-32633.tif'))
    expect(source).toMatchObject({
      name: 'cog-32633',
      crs: { epsg: 32633 },
      width: 256,
      height: 256,
      bands: 1,
      bandTypes: ['uint8'],
      bbox: [500000, 4997440, 502560, 5000000],
      cloudOptimized: true,
      noData: 0
    })
  })

  it('refuses a text file renamed .tif', async () => {
    const file = path.join(await fresh('tif'), 'notes.tif')
    await writeFile(file, 'these are not pixels\n')
    const error = await refusal(openGeoTiff(file))
    expect(error.message).toBe('notes.tif: not a GeoTIFF: the file does not start with a TIFF header')
  })

  it('refuses a TIFF without georeferencing', async () => {
    const file = await writePlainTiff(path.join(await fresh('tif'), 'scan.tif'))
    const error = await refusal(openGeoTiff(file))
    expect(error.message).toBe('scan.tif: not a GeoTIFF: the TIFF has no georeferencing (no ModelTiepoint/ModelPixelScale or ModelTransformation tag)')
  })
})

describe('renderGeoTiffPreview', () => {
  it('renders from the smallest adequate overview, with nodata transparent', async () => {
    const spy = vi.spyOn(GeoTIFFImage.prototype, 'readRasters')
    try {
      const { png, width, height } = await renderGeoTiffPreview(path.join(FIXTURES_DIR, 'cog-32633.tif'), 32)
      expect([width, height]).toEqual([32, 32])
      const image = readPng(png)
      expect([image.width, image.height]).toEqual([32, 32])
      expect(image.pixel(0, 0)[3]).toBe(0)
      expect(image.pixel(20, 20)[3]).toBe(255)
      expect(spy.mock.contexts.map((image) => (image as GeoTIFFImage).getWidth())).toEqual([64])
    } finally {
      spy.mockRestore()
    }
  })

  it('reads only the sampled rows of a big uncompressed single-strip file', async () => {
    const width = 1100
    const height = 1000
    const file = await writeGeoTiff(path.join(await fresh('tif'), 'big.tif'), {
      width,
      height,
      values: new Uint16Array(width * height).map((_, i) => i % width),
      metadata: { GeographicTypeGeoKey: 4326, GTModelTypeGeoKey: 2, ModelPixelScale: [0.001, 0.001, 0], ModelTiepoint: [0, 0, 0, 0, 1, 0] }
    })
    const spy = vi.spyOn(GeoTIFFImage.prototype, 'readRasters')
    try {
      const preview = await renderGeoTiffPreview(file, { width: 110, height: 110 })
      expect([preview.width, preview.height]).toEqual([110, 100])
      expect(spy).not.toHaveBeenCalled()
      const image = readPng(preview.png)
      expect(image.pixel(5, 50)[0]).toBeLessThan(image.pixel(100, 50)[0])
    } finally {
      spy.mockRestore()
    }
  })
})

describe('vectorThumbnail', () => {
  const square = (x0: number, y0: number, x1: number, y1: number) => [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
    [x0, y0]
  ]

  async function* batches(): AsyncGenerator<Feature<Geometry | null>[]> {
    yield [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [square(0, 0, 10, 10), square(4, 4, 6, 6)] } }]
    yield [
      { type: 'Feature', properties: {}, geometry: null },
      { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [18, 2] } }
    ]
  }

  it('draws streamed polygons (even-odd holes) and points in Web Mercator over the basemap', async () => {
    const image = readPng(await vectorThumbnail(batches(), [0, 0, 20, 10]))
    // The same view with no features: the offline basemap alone (the Gulf of Guinea: water and land).
    const basemap = readPng(await vectorThumbnail([], [0, 0, 20, 10]))
    expect([image.width, image.height]).toEqual([240, 180])
    const where = (lon: number, lat: number): [number, number] => {
      // Same fit as the renderer: mercator extent of the bbox centred with 8 px padding.
      const merc = (l: number, p: number) => [(l * Math.PI) / 180, Math.log(Math.tan(Math.PI / 4 + (p * Math.PI) / 360))]
      const [x0, y0] = merc(0, 0)
      const [x1, y1] = merc(20, 10)
      const scale = Math.min(224 / (x1 - x0), 164 / (y1 - y0))
      const [x, y] = merc(lon, lat)
      return [Math.floor(120 + (x - (x0 + x1) / 2) * scale), Math.floor(90 - (y - (y0 + y1) / 2) * scale)]
    }
    const drawn = (lon: number, lat: number) => JSON.stringify(image.pixel(...where(lon, lat))) !== JSON.stringify(basemap.pixel(...where(lon, lat)))
    expect(drawn(2, 2)).toBe(true)
    expect(drawn(5, 5)).toBe(false) // the hole
    expect(drawn(15, 8)).toBe(false)
    expect(drawn(18, 2)).toBe(true)
    // The basemap: open sea at (2°E, 2°N) is water, inland Cameroon (13°E, 5°N) is land.
    expect(basemap.pixel(...where(2, 2))).toEqual([222, 232, 240, 255])
    expect(basemap.pixel(...where(13, 5))).toEqual([244, 245, 242, 255])
  })

  it('takes a plain geometry array and draws lines', async () => {
    const line: Geometry = { type: 'LineString', coordinates: [[-10, 0], [10, 0]] }
    const image = readPng(await vectorThumbnail([line], [-10, -5, 10, 5], { width: 100, height: 50 }))
    expect([image.width, image.height]).toEqual([100, 50])
    expect(image.pixel(50, 25)).not.toEqual(image.pixel(50, 10))
  })
})

describe('imageThumbnail', () => {
  it('downscales a PNG keeping the aspect ratio', async () => {
    const file = await writePng(path.join(await fresh('img'), 'map.png'), 400, 200, [200, 30, 30, 255])
    const image = readPng((await imageThumbnail(file, 'image/png'))!)
    expect([image.width, image.height]).toEqual([240, 120])
    expect(image.pixel(10, 10)).toEqual([200, 30, 30, 255])
  })

  it('converts a JPEG without upscaling it', async () => {
    const file = await writeJpeg(path.join(await fresh('img'), 'photo.jpg'), 100, 50, [20, 120, 220])
    const image = readPng((await imageThumbnail(file, 'image/jpeg'))!)
    expect([image.width, image.height]).toEqual([100, 50])
    const [r, g, b] = image.pixel(50, 25)
    expect(Math.abs(r - 20) + Math.abs(g - 120) + Math.abs(b - 220)).toBeLessThan(20)
  })

  it('returns null for an image above 100 megapixels without decoding it', async () => {
    const file = path.join(await fresh('img'), 'huge.png')
    const header = Buffer.alloc(33)
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header)
    header.writeUInt32BE(13, 8)
    header.write('IHDR', 12, 'latin1')
    header.writeUInt32BE(20000, 16)
    header.writeUInt32BE(10000, 20)
    await writeFile(file, header)
    const read = vi.spyOn(PNG.sync, 'read')
    try {
      expect(await imageThumbnail(file, 'image/png')).toBeNull()
      expect(read).not.toHaveBeenCalled()
    } finally {
      read.mockRestore()
    }
  })

  it('returns null for other document types', async () => {
    const file = path.join(await fresh('img'), 'a.pdf')
    await writeFile(file, '%PDF-1.4')
    expect(await imageThumbnail(file, 'application/pdf')).toBeNull()
  })
})

describe('docTypeOf', () => {
  it.each([
    ['PNG', 'image', 'image/png'],
    ['.jpg', 'image', 'image/jpeg'],
    ['tif', 'image', 'image/tiff'],
    ['pdf', 'presentation', 'application/pdf'],
    ['docx', 'text', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['csv', 'text', 'text/csv'],
    ['pptx', 'presentation', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
    ['zip', 'archive', 'application/zip'],
    ['mp3', 'audio', 'audio/mpeg'],
    ['mp4', 'video', 'video/mp4'],
    ['qwerty', 'other', 'application/octet-stream']
  ])('%s is %s (%s)', (extension, docType, mimeType) => {
    expect(docTypeOf(extension)).toEqual({ doc_type: docType, mime_type: mimeType })
  })
})

const ISO = `<?xml version="1.0" encoding="UTF-8"?>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco"
    xmlns:gml="http://www.opengis.net/gml" xmlns:gmx="http://www.isotc211.org/2005/gmx">
  <gmd:fileIdentifier><gco:CharacterString>6f1a7c9e-1111-4c1e-9a55-2b7b1c7d0e01</gco:CharacterString></gmd:fileIdentifier>
  <gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/" codeListValue="ita">ita</gmd:LanguageCode></gmd:language>
  <gmd:contact>
    <gmd:CI_ResponsibleParty>
      <gmd:individualName><gco:CharacterString>Ada Author</gco:CharacterString></gmd:individualName>
      <gmd:contactInfo><gmd:CI_Contact><gmd:address><gmd:CI_Address>
        <gmd:electronicMailAddress><gco:CharacterString>ada@example.org</gco:CharacterString></gmd:electronicMailAddress>
      </gmd:CI_Address></gmd:address></gmd:CI_Contact></gmd:contactInfo>
      <gmd:role><gmd:CI_RoleCode codeList="#CI_RoleCode" codeListValue="author">author</gmd:CI_RoleCode></gmd:role>
    </gmd:CI_ResponsibleParty>
  </gmd:contact>
  <gmd:identificationInfo>
    <gmd:MD_DataIdentification>
      <gmd:citation><gmd:CI_Citation>
        <gmd:title><gco:CharacterString>Rivers &amp; lakes</gco:CharacterString></gmd:title>
        <gmd:date><gmd:CI_Date>
          <gmd:date><gco:Date>2021-05-04</gco:Date></gmd:date>
          <gmd:dateType><gmd:CI_DateTypeCode codeList="#CI_DateTypeCode" codeListValue="publication">publication</gmd:CI_DateTypeCode></gmd:dateType>
        </gmd:CI_Date></gmd:date>
        <gmd:edition><gco:CharacterString>2nd</gco:CharacterString></gmd:edition>
      </gmd:CI_Citation></gmd:citation>
      <gmd:abstract><gco:CharacterString>Hydrography of the basin.</gco:CharacterString></gmd:abstract>
      <gmd:purpose><gco:CharacterString>Flood planning</gco:CharacterString></gmd:purpose>
      <gmd:pointOfContact>
        <gmd:CI_ResponsibleParty>
          <gmd:organisationName><gco:CharacterString>Basin Authority</gco:CharacterString></gmd:organisationName>
          <gmd:role><gmd:CI_RoleCode codeList="#CI_RoleCode" codeListValue="pointOfContact"/></gmd:role>
        </gmd:CI_ResponsibleParty>
      </gmd:pointOfContact>
      <gmd:resourceMaintenance><gmd:MD_MaintenanceInformation><gmd:maintenanceAndUpdateFrequency>
        <gmd:MD_MaintenanceFrequencyCode codeList="#MD_MaintenanceFrequencyCode" codeListValue="annually"/>
      </gmd:maintenanceAndUpdateFrequency></gmd:MD_MaintenanceInformation></gmd:resourceMaintenance>
      <gmd:descriptiveKeywords><gmd:MD_Keywords>
        <gmd:keyword><gco:CharacterString>rivers</gco:CharacterString></gmd:keyword>
        <gmd:keyword><gmx:Anchor xlink:href="http://example.org/k/1" xmlns:xlink="http://www.w3.org/1999/xlink">lakes</gmx:Anchor></gmd:keyword>
      </gmd:MD_Keywords></gmd:descriptiveKeywords>
      <gmd:resourceConstraints><gmd:MD_LegalConstraints>
        <gmd:accessConstraints><gmd:MD_RestrictionCode codeList="#MD_RestrictionCode" codeListValue="otherRestrictions"/></gmd:accessConstraints>
        <gmd:otherConstraints><gco:CharacterString>CC-BY 4.0</gco:CharacterString></gmd:otherConstraints>
      </gmd:MD_LegalConstraints></gmd:resourceConstraints>
      <gmd:spatialRepresentationType><gmd:MD_SpatialRepresentationTypeCode codeList="#x" codeListValue="vector"/></gmd:spatialRepresentationType>
      <gmd:language><gco:CharacterString>en</gco:CharacterString></gmd:language>
      <gmd:topicCategory><gmd:MD_TopicCategoryCode>inlandWaters</gmd:MD_TopicCategoryCode></gmd:topicCategory>
      <gmd:topicCategory><gmd:MD_TopicCategoryCode>environment</gmd:MD_TopicCategoryCode></gmd:topicCategory>
      <gmd:extent><gmd:EX_Extent>
        <gmd:geographicElement><gmd:EX_GeographicBoundingBox>
          <gmd:westBoundLongitude><gco:Decimal>6.6</gco:Decimal></gmd:westBoundLongitude>
          <gmd:eastBoundLongitude><gco:Decimal>18.5</gco:Decimal></gmd:eastBoundLongitude>
          <gmd:southBoundLatitude><gco:Decimal>36.6</gco:Decimal></gmd:southBoundLatitude>
          <gmd:northBoundLatitude><gco:Decimal>47.1</gco:Decimal></gmd:northBoundLatitude>
        </gmd:EX_GeographicBoundingBox></gmd:geographicElement>
        <gmd:temporalElement><gmd:EX_TemporalExtent><gmd:extent>
          <gml:TimePeriod gml:id="t1"><gml:beginPosition>2010-01-01</gml:beginPosition><gml:endPosition>2020-12-31</gml:endPosition></gml:TimePeriod>
        </gmd:extent></gmd:EX_TemporalExtent></gmd:temporalElement>
      </gmd:EX_Extent></gmd:extent>
      <gmd:supplementalInformation><gco:CharacterString>Digitised at 1:25000</gco:CharacterString></gmd:supplementalInformation>
    </gmd:MD_DataIdentification>
  </gmd:identificationInfo>
  <gmd:dataQualityInfo><gmd:DQ_DataQuality><gmd:lineage><gmd:LI_Lineage>
    <gmd:statement><gco:CharacterString>Derived from regional surveys.</gco:CharacterString></gmd:statement>
  </gmd:LI_Lineage></gmd:lineage></gmd:DQ_DataQuality></gmd:dataQualityInfo>
</gmd:MD_Metadata>`

describe('readIsoMetadata', () => {
  it('reads the fields GeoNode takes from ISO 19139', () => {
    expect(readIsoMetadata(ISO, 'rivers.xml')).toEqual({
      format: 'iso19139',
      uuid: '6f1a7c9e-1111-4c1e-9a55-2b7b1c7d0e01',
      title: 'Rivers & lakes',
      abstract: 'Hydrography of the basin.',
      purpose: 'Flood planning',
      supplemental_information: 'Digitised at 1:25000',
      keywords: ['rivers', 'lakes'],
      category: 'inlandWaters',
      topic_categories: ['inlandWaters', 'environment'],
      date: '2021-05-04',
      date_type: 'publication',
      edition: '2nd',
      language: 'eng',
      constraints_other: 'CC-BY 4.0',
      restriction_code_type: 'otherRestrictions',
      maintenance_frequency: 'annually',
      spatial_representation_type: 'vector',
      data_quality_statement: 'Derived from regional surveys.',
      temporal_extent_start: '2010-01-01',
      temporal_extent_end: '2020-12-31',
      bbox: { west: 6.6, east: 18.5, south: 36.6, north: 47.1 },
      poc: { organisation: 'Basin Authority', role: 'pointOfContact' },
      metadata_author: { name: 'Ada Author', email: 'ada@example.org', role: 'author' }
    })
  })

  it('returns only what a sparse document carries', () => {
    const xml = `<MD_Metadata xmlns="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco">
      <identificationInfo><MD_DataIdentification><citation><CI_Citation>
        <title><gco:CharacterString>Only a title</gco:CharacterString></title>
      </CI_Citation></citation><abstract gco:nilReason="missing"/></MD_DataIdentification></identificationInfo>
    </MD_Metadata>`
    expect(readIsoMetadata(xml, 'sparse.xml')).toEqual({ format: 'iso19139', title: 'Only a title' })
  })

  it('accepts a Dublin Core record minimally', () => {
    const xml = `<csw:Record xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dct="http://purl.org/dc/terms/">
      <dc:title>Parcels</dc:title><dct:abstract>Cadastre</dct:abstract><dc:subject>land</dc:subject></csw:Record>`
    expect(readIsoMetadata(xml, 'dc.xml')).toEqual({ format: 'dublin-core', title: 'Parcels', abstract: 'Cadastre', keywords: ['land'] })
  })

  it('refuses garbage, other XML and entity declarations', () => {
    expect(() => readIsoMetadata('not xml at all <', 'x.xml')).toThrow(/^x\.xml: not ISO 19139 metadata: the XML is malformed \(line \d+: .+\)$/)
    expect(() => readIsoMetadata('<kml><Document/></kml>', 'x.xml')).toThrow(
      'x.xml: not ISO 19139 metadata: the root element is <kml>, expected gmd:MD_Metadata'
    )
    const bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><MD_Metadata>&a;</MD_Metadata>'
    expect(() => readIsoMetadata(bomb, 'x.xml')).toThrow('x.xml: not ISO 19139 metadata: DTD entity declarations are not allowed')
  })
})

describe('defaultSld for a style of unknown geometry', () => {
  it('has one rule each for polygons, lines and points, and reads back as a valid SLD', () => {
    const sld = defaultSld('seeded_style', 'any')
    expect(sld.match(/<Rule>/g)).toHaveLength(3)
    for (const symbolizer of ['PolygonSymbolizer', 'LineSymbolizer', 'PointSymbolizer']) expect(sld).toContain(`<${symbolizer}>`)
    expect(readSld(sld, 'seeded.sld').name).toBe('seeded_style')
  })
})

describe('readSld / defaultSld', () => {
  it('reads the UserStyle name and title from SLD 1.0', () => {
    const xml = `<?xml version="1.0"?><StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld">
      <NamedLayer><Name>roads</Name><UserStyle><Name>roads_red</Name><Title>Red roads</Title>
      <FeatureTypeStyle><Rule><LineSymbolizer/></Rule></FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>`
    expect(readSld(xml, 'roads.sld')).toEqual({ name: 'roads_red', title: 'Red roads', body: xml })
  })

  it('reads SE 1.1 names and falls back to the NamedLayer name', () => {
    const xml = `<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" xmlns:se="http://www.opengis.net/se">
      <NamedLayer><se:Name>rivers</se:Name><UserStyle><se:FeatureTypeStyle/></UserStyle></NamedLayer></StyledLayerDescriptor>`
    expect(readSld(xml, 'rivers.sld')).toEqual({ name: 'rivers', title: null, body: xml })
  })

  it('refuses invalid styles', () => {
    expect(() => readSld('<StyledLayerDescriptor><NamedLayer>', 's.sld')).toThrow(/^s\.sld: not a valid SLD style: the XML is malformed/)
    expect(() => readSld('<FeatureCollection/>', 's.sld')).toThrow('s.sld: not a valid SLD style: the root element is <FeatureCollection>, expected StyledLayerDescriptor')
    expect(() => readSld('<StyledLayerDescriptor><NamedLayer><Name>x</Name></NamedLayer></StyledLayerDescriptor>', 's.sld')).toThrow(
      's.sld: not a valid SLD style: it has no NamedLayer or UserLayer with a UserStyle'
    )
  })

  it.each(['point', 'line', 'polygon', 'raster'] as const)('writes a default %s style that reads back', (geometry) => {
    const sld = defaultSld('roads & "rails"', geometry)
    expect(readSld(sld, 'default.sld')).toMatchObject({ name: 'roads & "rails"', title: `Default ${geometry} style for roads & "rails"` })
    const symbolizer = { point: 'PointSymbolizer', line: 'LineSymbolizer', polygon: 'PolygonSymbolizer', raster: 'RasterSymbolizer' }[geometry]
    expect(sld).toContain(`<${symbolizer}>`)
    expect(defaultSld('roads & "rails"', geometry)).toBe(sld)
  })
})
