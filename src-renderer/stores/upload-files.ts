/** How dropped files become upload requests (spec 5.1): one base file plus its side-cars. */

export const BASE_EXTENSIONS = ['shp', 'tif', 'tiff', 'geotif', 'geotiff', 'zip', 'kml', 'kmz', 'geojson', 'json', 'csv', 'asc', 'gpkg', 'png', 'jpg', 'jpeg', 'img', 'jp2']
/** Side-car extensions and the multipart field each goes in. */
export const SIDECARS: Record<string, string> = { dbf: 'dbf_file', shx: 'shx_file', prj: 'prj_file', xml: 'xml_file', sld: 'sld_file' }
/** Shapefile companions GeoNode does not take; dropped quietly with a note. */
const IGNORED = ['cpg', 'qix', 'sbn', 'sbx', 'fix', 'qmd', 'aux']

export interface PlannedUpload {
  name: string
  base: File
  sidecars: { field: string; file: File }[]
  notes: string[]
}

export interface RefusedFile {
  name: string
  reason: string
}

const extOf = (name: string) => (name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '')
const stemOf = (name: string) => (name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : name)

/** Groups files by name stem: each base file takes the side-cars of the same stem. */
export function planUploads(files: File[]): { uploads: PlannedUpload[]; refused: RefusedFile[] } {
  const uploads: PlannedUpload[] = []
  const refused: RefusedFile[] = []
  const byStem = new Map<string, File[]>()
  for (const f of files) {
    const stem = stemOf(f.name).toLowerCase()
    byStem.set(stem, [...(byStem.get(stem) ?? []), f])
  }
  for (const group of byStem.values()) {
    const bases = group.filter((f) => BASE_EXTENSIONS.includes(extOf(f.name)))
    const others = group.filter((f) => !bases.includes(f))
    const sidecars = others.filter((f) => extOf(f.name) in SIDECARS).map((file) => ({ field: SIDECARS[extOf(file.name)], file }))
    const ignored = others.filter((f) => IGNORED.includes(extOf(f.name)))
    for (const f of others) {
      if (!(extOf(f.name) in SIDECARS) && !IGNORED.includes(extOf(f.name))) refused.push({ name: f.name, reason: `.${extOf(f.name) || '(none)'} files cannot be uploaded.` })
    }
    if (bases.length === 0) {
      for (const s of sidecars) refused.push({ name: s.file.name, reason: 'A side-car file needs its main file (same name) in the same drop.' })
      continue
    }
    for (const base of bases) {
      const notes = ignored.map((f) => `${f.name} is not needed and was left out.`)
      const isShape = extOf(base.name) === 'shp'
      if (isShape) for (const needed of ['dbf', 'shx']) if (!sidecars.some((s) => s.field === SIDECARS[needed])) notes.push(`No .${needed} file: the server will likely refuse this shapefile.`)
      uploads.push({ name: base.name, base, sidecars: isShape ? sidecars : sidecars.filter((s) => s.field === 'xml_file' || s.field === 'sld_file'), notes })
    }
  }
  return { uploads, refused }
}

/** Every file under dropped items, folders included (their entries are read recursively). */
export async function filesOfDrop(items: DataTransferItemList): Promise<File[]> {
  const entries = [...items].map((i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null)
  const out: File[] = []
  async function walk(entry: FileSystemEntry): Promise<void> {
    if (entry.isFile) {
      out.push(await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject)))
      return
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader()
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject))
      if (batch.length === 0) break
      for (const child of batch) await walk(child)
    }
  }
  for (const e of entries) await walk(e)
  return out
}
