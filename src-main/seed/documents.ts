/** A document's own rows: the document and the resources it is linked to. */
import { slugify } from '../db/reference-data'
import type { ResourceDraft, SeedState } from './state'

export function insertDocument(state: SeedState, draft: ResourceDraft, links: number[] | undefined, times: { created: string; lastUpdated: string }): void {
  const { kind, extension, mime } = draft.document!
  const withFile = links !== undefined
  const docFile = withFile ? `documents/${slugify(draft.title)}.${extension}` : null
  state.st.document.run(draft.id, kind, extension, mime, docFile, withFile ? 48213 : null, times.created, times.lastUpdated)
  const targets = links ?? pickDocumentLinks(state, draft.id)
  for (const target of targets) state.st.documentLink.run(draft.id, target)
  state.summary.documentLinks += targets.length
}

function pickDocumentLinks(state: SeedState, documentId: number): number[] {
  const count = state.rng.weighted([[0, 35], [1, 35], [2, 20], [3, 10]])
  const available = documentId - state.firstResourceId
  const picked = new Set<number>()
  while (picked.size < Math.min(count, available)) picked.add(state.firstResourceId + Math.floor(state.rng.next() * available))
  return [...picked]
}
