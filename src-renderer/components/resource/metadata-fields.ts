import type { ResourceDto } from '../../../src-shared/api/dto'

export type FieldKind = 'text' | 'textarea' | 'datetime' | 'select' | 'category' | 'bool'

export interface FieldSpec {
  key: string
  label: string
  kind: FieldKind
  options?: readonly string[]
  /** Empty input is sent as null (nullable fields) rather than "". */
  nullable?: boolean
  /** Needs publish_resourcebase rather than change_resourcebase_metadata. */
  publishing?: boolean
  hint?: string
}

/** ISO 19115 maintenance frequencies GeoNode offers (the server validates the same list). */
const FREQUENCIES = ['unknown', 'continual', 'daily', 'weekly', 'fortnightly', 'monthly', 'quarterly', 'biannually', 'annually', 'asNeeded', 'irregular', 'notPlanned']

export const EDITABLE_FIELDS: FieldSpec[] = [
  { key: 'title', label: 'Title', kind: 'text' },
  { key: 'abstract', label: 'Abstract', kind: 'textarea' },
  { key: 'purpose', label: 'Purpose', kind: 'textarea', nullable: true },
  { key: 'category', label: 'Category', kind: 'category' },
  { key: 'date', label: 'Date', kind: 'datetime' },
  { key: 'date_type', label: 'Date type', kind: 'select', options: ['creation', 'publication', 'revision'] },
  { key: 'edition', label: 'Edition', kind: 'text', nullable: true },
  { key: 'attribution', label: 'Attribution', kind: 'text', nullable: true },
  { key: 'doi', label: 'DOI', kind: 'text', nullable: true },
  { key: 'language', label: 'Language', kind: 'text', hint: 'ISO 639-2 code, e.g. eng' },
  { key: 'maintenance_frequency', label: 'Maintenance frequency', kind: 'select', options: FREQUENCIES, nullable: true },
  { key: 'temporal_extent_start', label: 'Temporal extent start', kind: 'datetime', nullable: true },
  { key: 'temporal_extent_end', label: 'Temporal extent end', kind: 'datetime', nullable: true },
  { key: 'constraints_other', label: 'Other constraints', kind: 'textarea', nullable: true },
  { key: 'supplemental_information', label: 'Supplemental information', kind: 'textarea' },
  { key: 'data_quality_statement', label: 'Data quality statement', kind: 'textarea', nullable: true },
  { key: 'thumbnail_url', label: 'Thumbnail URL', kind: 'text', nullable: true },
  { key: 'is_published', label: 'Published', kind: 'bool', publishing: true },
  { key: 'is_approved', label: 'Approved', kind: 'bool', publishing: true },
  { key: 'featured', label: 'Featured', kind: 'bool', publishing: true }
]

export type Draft = Record<string, string | boolean>

const pad = (n: number) => String(n).padStart(2, '0')

/** An ISO datetime as a datetime-local input value (local time), or "". */
export function toLocalInput(iso: unknown): string {
  if (typeof iso !== 'string' || !iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** The form values of a resource. */
export function draftOf(r: ResourceDto): Draft {
  const draft: Draft = {}
  for (const f of EDITABLE_FIELDS) {
    const value = r[f.key]
    if (f.kind === 'bool') draft[f.key] = Boolean(value)
    else if (f.kind === 'datetime') draft[f.key] = toLocalInput(value)
    else if (f.kind === 'category') draft[f.key] = r.category?.identifier ?? ''
    else draft[f.key] = value == null ? '' : String(value)
  }
  return draft
}

/** The PATCH body: only fields whose value differs from the resource's. */
export function changesOf(r: ResourceDto, draft: Draft): Record<string, unknown> {
  const before = draftOf(r)
  const changes: Record<string, unknown> = {}
  for (const f of EDITABLE_FIELDS) {
    const value = draft[f.key]
    if (value === before[f.key]) continue
    if (f.kind === 'bool') changes[f.key] = value
    else if (f.kind === 'datetime') changes[f.key] = value ? new Date(String(value)).toISOString() : null
    else if (value === '' && (f.nullable || f.kind === 'category')) changes[f.key] = null
    else changes[f.key] = value
  }
  return changes
}
