import type { ResourceDto, UserDto } from '../../../src-shared/api/dto'
import { esc } from '../xml'
import { type ElementSet, type RecordSource, abstractOf, formatOf, linkName, lonLatBox, personName, plainText, protocolOf, recordLinks, typeOf } from './record-source'

export const GMD_NS = 'http://www.isotc211.org/2005/gmd'
export const ISO_NAMESPACES =
  'xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:gmx="http://www.isotc211.org/2005/gmx" xmlns:xlink="http://www.w3.org/1999/xlink"'

const CODE_LISTS = 'http://standards.iso.org/iso/19139/resources/gmxCodelists.xml'

const text = (value: unknown) => `<gco:CharacterString>${esc(value)}</gco:CharacterString>`
/** An element holding a string, or marked missing (ISO keeps mandatory elements with a nil reason). */
const str = (name: string, value: unknown) => (value === null || value === undefined || value === '' ? `<${name} gco:nilReason="missing"/>` : `<${name}>${text(value)}</${name}>`)
const optional = (name: string, value: unknown) => (value === null || value === undefined || value === '' ? '' : `<${name}>${text(value)}</${name}>`)
const code = (element: string, list: string, value: string) => `<gmd:${element} codeList="${CODE_LISTS}#${list}" codeListValue="${esc(value)}">${esc(value)}</gmd:${element}>`
const dateTime = (value: string) => `<gco:DateTime>${esc(value.replace(/\.\d+Z$/, 'Z'))}</gco:DateTime>`

/** A responsible party: the user's name (the API shows no more of a person), the role, and their page. */
function party(user: UserDto | null | undefined, role: string): string {
  const name = personName(user)
  const page = user?.link
    ? `<gmd:contactInfo><gmd:CI_Contact><gmd:onlineResource><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>${esc(user.link)}</gmd:URL></gmd:linkage><gmd:protocol>${text('WWW:LINK-1.0-http--link')}</gmd:protocol><gmd:description>${text('Profile')}</gmd:description></gmd:CI_OnlineResource></gmd:onlineResource></gmd:CI_Contact></gmd:contactInfo>`
    : ''
  return `<gmd:CI_ResponsibleParty>${str('gmd:individualName', name)}${page}<gmd:role>${code('CI_RoleCode', 'CI_RoleCode', role)}</gmd:role></gmd:CI_ResponsibleParty>`
}

function keywordsBlock(words: string[], type: string | null, thesaurus?: { name: string; uri: string }): string {
  if (words.length === 0) return ''
  const kind = type ? `<gmd:type>${code('MD_KeywordTypeCode', 'MD_KeywordTypeCode', type)}</gmd:type>` : ''
  const source = thesaurus ? `<gmd:thesaurusName><gmd:CI_Citation><gmd:title>${text(thesaurus.name)}</gmd:title><gmd:date gco:nilReason="unknown"/><gmd:identifier><gmd:MD_Identifier><gmd:code>${text(thesaurus.uri)}</gmd:code></gmd:MD_Identifier></gmd:identifier></gmd:CI_Citation></gmd:thesaurusName>` : ''
  return `<gmd:descriptiveKeywords><gmd:MD_Keywords>${words.map((w) => `<gmd:keyword>${text(w)}</gmd:keyword>`).join('')}${kind}${source}</gmd:MD_Keywords></gmd:descriptiveKeywords>`
}

function extent(dto: ResourceDto): string {
  const box = lonLatBox(dto)
  const geographic = box
    ? `<gmd:geographicElement><gmd:EX_GeographicBoundingBox><gmd:westBoundLongitude><gco:Decimal>${box[0]}</gco:Decimal></gmd:westBoundLongitude><gmd:eastBoundLongitude><gco:Decimal>${box[2]}</gco:Decimal></gmd:eastBoundLongitude><gmd:southBoundLatitude><gco:Decimal>${box[1]}</gco:Decimal></gmd:southBoundLatitude><gmd:northBoundLatitude><gco:Decimal>${box[3]}</gco:Decimal></gmd:northBoundLatitude></gmd:EX_GeographicBoundingBox></gmd:geographicElement>`
    : ''
  const start = dto.temporal_extent_start
  const end = dto.temporal_extent_end
  const temporal =
    start || end
      ? `<gmd:temporalElement><gmd:EX_TemporalExtent><gmd:extent><gml:TimePeriod gml:id="T${esc(dto.pk)}">${start ? `<gml:beginPosition>${esc(start)}</gml:beginPosition>` : '<gml:beginPosition indeterminatePosition="unknown"/>'}${end ? `<gml:endPosition>${esc(end)}</gml:endPosition>` : '<gml:endPosition indeterminatePosition="now"/>'}</gml:TimePeriod></gmd:extent></gmd:EX_TemporalExtent></gmd:temporalElement>`
      : ''
  return geographic || temporal ? `<gmd:extent><gmd:EX_Extent>${geographic}${temporal}</gmd:EX_Extent></gmd:extent>` : ''
}

function citation(dto: ResourceDto): string {
  const doi = dto.doi ? `<gmd:identifier><gmd:MD_Identifier><gmd:code>${text(`doi:${dto.doi}`)}</gmd:code></gmd:MD_Identifier></gmd:identifier>` : ''
  return `<gmd:citation><gmd:CI_Citation><gmd:title>${text(dto.title)}</gmd:title>${optional('gmd:alternateTitle', dto.alternate)}<gmd:date><gmd:CI_Date><gmd:date>${dateTime(dto.date)}</gmd:date><gmd:dateType>${code('CI_DateTypeCode', 'CI_DateTypeCode', dto.date_type || 'publication')}</gmd:dateType></gmd:CI_Date></gmd:date>${optional('gmd:edition', dto.edition)}<gmd:identifier><gmd:MD_Identifier><gmd:code>${text(dto.uuid)}</gmd:code></gmd:MD_Identifier></gmd:identifier>${doi}</gmd:CI_Citation></gmd:citation>`
}

function thesauri(dto: ResourceDto): string {
  const groups = new Map<string, { name: string; uri: string; words: string[] }>()
  for (const k of dto.tkeywords ?? []) {
    const group = groups.get(k.thesaurus.slug) ?? { name: k.thesaurus.name, uri: k.thesaurus.uri, words: [] }
    group.words.push(k.name)
    groups.set(k.thesaurus.slug, group)
  }
  return [...groups.values()].map((g) => keywordsBlock(g.words, 'theme', g)).join('')
}

function constraints(dto: ResourceDto): string {
  const parts = [
    dto.license ? `<gmd:useLimitation>${text(dto.license.identifier)}</gmd:useLimitation>` : '',
    dto.restriction_code_type ? `<gmd:accessConstraints>${code('MD_RestrictionCode', 'MD_RestrictionCode', dto.restriction_code_type.identifier)}</gmd:accessConstraints>` : '',
    plainText(dto, 'constraints_other') ? `<gmd:otherConstraints>${text(plainText(dto, 'constraints_other'))}</gmd:otherConstraints>` : ''
  ].join('')
  return parts ? `<gmd:resourceConstraints><gmd:MD_LegalConstraints>${parts}</gmd:MD_LegalConstraints></gmd:resourceConstraints>` : ''
}

function identification(source: RecordSource, set: ElementSet): string {
  const { dto } = source
  const thumbnail = dto.thumbnail_url
    ? `<gmd:graphicOverview><gmd:MD_BrowseGraphic><gmd:fileName>${text(dto.thumbnail_url)}</gmd:fileName><gmd:fileDescription>${text('thumbnail')}</gmd:fileDescription><gmd:fileType>${text('image/png')}</gmd:fileType></gmd:MD_BrowseGraphic></gmd:graphicOverview>`
    : ''
  if (set === 'brief') return `<gmd:MD_DataIdentification>${citation(dto)}${str('gmd:abstract', abstractOf(dto))}${thumbnail}<gmd:language>${text(dto.language)}</gmd:language>${extent(dto)}</gmd:MD_DataIdentification>`
  const maintenance = dto.maintenance_frequency
    ? `<gmd:resourceMaintenance><gmd:MD_MaintenanceInformation><gmd:maintenanceAndUpdateFrequency>${code('MD_MaintenanceFrequencyCode', 'MD_MaintenanceFrequencyCode', dto.maintenance_frequency)}</gmd:maintenanceAndUpdateFrequency></gmd:MD_MaintenanceInformation></gmd:resourceMaintenance>`
    : ''
  const format = formatOf(source)
  const resourceFormat = format ? `<gmd:resourceFormat><gmd:MD_Format><gmd:name>${text(format)}</gmd:name><gmd:version gco:nilReason="unknown"/></gmd:MD_Format></gmd:resourceFormat>` : ''
  const spatialType = dto.spatial_representation_type
    ? `<gmd:spatialRepresentationType>${code('MD_SpatialRepresentationTypeCode', 'MD_SpatialRepresentationTypeCode', dto.spatial_representation_type.identifier)}</gmd:spatialRepresentationType>`
    : ''
  const topic = dto.category ? `<gmd:topicCategory><gmd:MD_TopicCategoryCode>${esc(dto.category.identifier)}</gmd:MD_TopicCategoryCode></gmd:topicCategory>` : ''
  return `<gmd:MD_DataIdentification>${citation(dto)}${str('gmd:abstract', abstractOf(dto))}${optional('gmd:purpose', plainText(dto, 'purpose'))}${optional('gmd:credit', dto.attribution)}<gmd:pointOfContact>${party(dto.owner, 'originator')}</gmd:pointOfContact>${
    dto.poc && dto.poc.pk !== dto.owner?.pk ? `<gmd:pointOfContact>${party(dto.poc, 'pointOfContact')}</gmd:pointOfContact>` : ''
  }${maintenance}${thumbnail}${resourceFormat}${keywordsBlock(
    dto.keywords.map((k) => k.name),
    'theme'
  )}${keywordsBlock(
    dto.regions.map((r) => r.name),
    'place'
  )}${thesauri(dto)}${constraints(dto)}${spatialType}<gmd:language>${text(dto.language)}</gmd:language>${topic}${extent(dto)}${optional(
    'gmd:supplementalInformation',
    plainText(dto, 'supplemental_information')
  )}</gmd:MD_DataIdentification>`
}

/** The links of a resource as ISO online resources: OGC services named by the layer's typename, downloads, pages. */
function distribution(source: RecordSource): string {
  const links = recordLinks(source)
  if (links.length === 0) return ''
  const format = formatOf(source)
  const online = links
    .map(
      (l) =>
        `<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>${esc(l.url)}</gmd:URL></gmd:linkage><gmd:protocol>${text(protocolOf(l))}</gmd:protocol><gmd:name>${text(linkName(source, l))}</gmd:name><gmd:description>${text(l.name)}</gmd:description></gmd:CI_OnlineResource></gmd:onLine>`
    )
    .join('')
  const formats = format ? `<gmd:distributionFormat><gmd:MD_Format><gmd:name>${text(format)}</gmd:name><gmd:version gco:nilReason="unknown"/></gmd:MD_Format></gmd:distributionFormat>` : ''
  return `<gmd:distributionInfo><gmd:MD_Distribution>${formats}<gmd:transferOptions><gmd:MD_DigitalTransferOptions>${online}</gmd:MD_DigitalTransferOptions></gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo>`
}

/**
 * An ISO 19139 record (gmd:MD_Metadata) of a resource, from what the API serializes: the uuid as
 * fileIdentifier, the scope, contacts (point of contact and metadata author for the record, the
 * owner as originator), the CRS, the identification (citation with dates and identifiers,
 * abstract, purpose, keywords by type and thesaurus, constraints, topic category, lon/lat and
 * temporal extent), the distribution (OGC services, downloads, pages) and the lineage statement.
 * The brief set keeps identification, citation, abstract and extent.
 */
export function isoRecord(source: RecordSource, set: ElementSet, namespaces = ''): string {
  const { dto } = source
  const scope = typeOf(dto)
  const head = `<gmd:fileIdentifier>${text(dto.uuid)}</gmd:fileIdentifier><gmd:language>${text(dto.language)}</gmd:language><gmd:characterSet>${code('MD_CharacterSetCode', 'MD_CharacterSetCode', 'utf8')}</gmd:characterSet><gmd:hierarchyLevel>${code('MD_ScopeCode', 'MD_ScopeCode', scope)}</gmd:hierarchyLevel>`
  const contacts = `<gmd:contact>${party(dto.poc ?? dto.owner, 'pointOfContact')}</gmd:contact>${dto.metadata_author ? `<gmd:contact>${party(dto.metadata_author, 'author')}</gmd:contact>` : ''}`
  const stamp = `<gmd:dateStamp>${dateTime(dto.last_updated)}</gmd:dateStamp>`
  if (set === 'brief') return `<gmd:MD_Metadata${namespaces}>${head}${contacts}${stamp}<gmd:identificationInfo>${identification(source, set)}</gmd:identificationInfo></gmd:MD_Metadata>`
  const crs = dto.srid
    ? `<gmd:referenceSystemInfo><gmd:MD_ReferenceSystem><gmd:referenceSystemIdentifier><gmd:RS_Identifier><gmd:code>${text(dto.srid)}</gmd:code><gmd:codeSpace>${text('EPSG')}</gmd:codeSpace></gmd:RS_Identifier></gmd:referenceSystemIdentifier></gmd:MD_ReferenceSystem></gmd:referenceSystemInfo>`
    : ''
  const lineage = plainText(dto, 'data_quality_statement')
  const quality = lineage
    ? `<gmd:dataQualityInfo><gmd:DQ_DataQuality><gmd:scope><gmd:DQ_Scope><gmd:level>${code('MD_ScopeCode', 'MD_ScopeCode', scope)}</gmd:level></gmd:DQ_Scope></gmd:scope><gmd:lineage><gmd:LI_Lineage><gmd:statement>${text(lineage)}</gmd:statement></gmd:LI_Lineage></gmd:lineage></gmd:DQ_DataQuality></gmd:dataQualityInfo>`
    : ''
  return `<gmd:MD_Metadata${namespaces}>${head}${contacts}${stamp}<gmd:metadataStandardName>${text('ISO 19115:2003 - Geographic information - Metadata')}</gmd:metadataStandardName><gmd:metadataStandardVersion>${text('ISO 19115:2003')}</gmd:metadataStandardVersion>${crs}<gmd:identificationInfo>${identification(source, set)}</gmd:identificationInfo>${distribution(source)}${quality}</gmd:MD_Metadata>`
}
