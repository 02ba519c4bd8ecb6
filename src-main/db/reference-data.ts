import type Sqlite from 'better-sqlite3'

/** [identifier, label, fa_class, ISO 19115 description] */
const TOPIC_CATEGORIES: [string, string, string, string][] = [
  ['farming', 'Farming', 'fa-lemon-o', 'Rearing of animals and/or cultivation of plants. Examples: agriculture, irrigation, aquaculture, plantations, herding, pests and diseases affecting crops and livestock'],
  ['biota', 'Biota', 'fa-leaf', 'Flora and/or fauna in natural environment. Examples: wildlife, vegetation, biological sciences, ecology, wilderness, sealife, wetlands, habitat'],
  ['boundaries', 'Boundaries', 'fa-ellipsis-h', 'Legal land descriptions. Examples: political and administrative boundaries'],
  ['climatologyMeteorologyAtmosphere', 'Climatology Meteorology Atmosphere', 'fa-cloud', 'Processes and phenomena of the atmosphere. Examples: cloud cover, weather, climate, atmospheric conditions, climate change, precipitation'],
  ['economy', 'Economy', 'fa-shopping-cart', 'Economic activities, conditions and employment. Examples: production, labour, revenue, commerce, industry, tourism and ecotourism, forestry, fisheries, commercial or subsistence hunting, exploration and exploitation of resources such as minerals, oil and gas'],
  ['elevation', 'Elevation', 'fa-flag', 'Height above or below sea level. Examples: altitude, bathymetry, digital elevation models, slope, derived products'],
  ['environment', 'Environment', 'fa-tree', 'Environmental resources, protection and conservation. Examples: environmental pollution, waste storage and treatment, environmental impact assessment, monitoring environmental risk, nature reserves, landscape'],
  ['geoscientificInformation', 'Geoscientific Information', 'fa-bullseye', 'Information pertaining to earth sciences. Examples: geophysical features and processes, geology, minerals, sciences dealing with the composition, structure and origin of the earth\'s rocks, risks of earthquakes, volcanic activity, landslides, gravity information, soils, permafrost, hydrogeology, erosion'],
  ['health', 'Health', 'fa-stethoscope', 'Health, health services, human ecology, and safety. Examples: disease and illness, factors affecting health, hygiene, substance abuse, mental and physical health, health services'],
  ['imageryBaseMapsEarthCover', 'Imagery Base Maps Earth Cover', 'fa-globe', 'Base maps. Examples: land cover, topographic maps, imagery, unclassified images, annotations'],
  ['intelligenceMilitary', 'Intelligence Military', 'fa-fighter-jet', 'Military bases, structures, activities. Examples: barracks, training grounds, military transportation, information collection'],
  ['inlandWaters', 'Inland Waters', 'fa-tint', 'Inland water features, drainage systems and their characteristics. Examples: rivers and glaciers, salt lakes, water utilization plans, dams, currents, floods, water quality, hydrographic charts'],
  ['location', 'Location', 'fa-map-marker', 'Positional information and services. Examples: addresses, geodetic networks, control points, postal zones and services, place names'],
  ['oceans', 'Oceans', 'fa-anchor', 'Features and characteristics of salt water bodies (excluding inland waters). Examples: tides, tidal waves, coastal information, reefs'],
  ['planningCadastre', 'Planning Cadastre', 'fa-home', 'Information used for appropriate actions for future use of the land. Examples: land use maps, zoning maps, cadastral surveys, land ownership'],
  ['society', 'Society', 'fa-comments', 'Characteristics of society and cultures. Examples: settlements, anthropology, archaeology, education, traditional beliefs, manners and customs, demographic data, recreational areas and activities, social impact assessments, crime and justice, census information'],
  ['structure', 'Structure', 'fa-building', 'Man-made construction. Examples: buildings, museums, churches, factories, housing, monuments, shops, towers'],
  ['transportation', 'Transportation', 'fa-truck', 'Means and aids for conveying persons and/or goods. Examples: roads, airports/airstrips, shipping routes, tunnels, nautical charts, vehicle or vessel location, aeronautical charts, railways'],
  ['utilitiesCommunication', 'Utilities Communication', 'fa-phone', 'Energy, water and waste systems and communications infrastructure and services. Examples: hydroelectricity, geothermal, solar and nuclear sources of energy, water purification and distribution, sewage collection and disposal, electricity and gas distribution, data communication, telecommunication, radio, communication networks']
]

/** [identifier, name, abbreviation, description, url] */
const LICENSES: [string, string, string | null, string, string | null][] = [
  ['not_specified', 'Not Specified', null, 'The original author did not specify a license.', null],
  ['public_domain', 'Public Domain', 'PD', 'The work is free of known copyright restrictions and may be used for any purpose.', 'https://creativecommons.org/publicdomain/mark/1.0/'],
  ['cc0-1.0', 'Creative Commons Zero 1.0 Universal', 'CC0', 'The creator has waived all copyright and related rights to the extent possible under law.', 'https://creativecommons.org/publicdomain/zero/1.0/'],
  ['cc-by-4.0', 'Creative Commons Attribution 4.0', 'CC BY 4.0', 'Others may distribute, remix and build upon the work, even commercially, as long as they credit the original creation.', 'https://creativecommons.org/licenses/by/4.0/'],
  ['cc-by-sa-4.0', 'Creative Commons Attribution-ShareAlike 4.0', 'CC BY-SA 4.0', 'Others may remix and build upon the work, even commercially, as long as they credit the creator and license new creations under identical terms.', 'https://creativecommons.org/licenses/by-sa/4.0/'],
  ['cc-by-nc-4.0', 'Creative Commons Attribution-NonCommercial 4.0', 'CC BY-NC 4.0', 'Others may remix and build upon the work non-commercially, crediting the creator.', 'https://creativecommons.org/licenses/by-nc/4.0/'],
  ['cc-by-nd-4.0', 'Creative Commons Attribution-NoDerivatives 4.0', 'CC BY-ND 4.0', 'Others may redistribute the work, commercially and non-commercially, unchanged and in whole, crediting the creator.', 'https://creativecommons.org/licenses/by-nd/4.0/'],
  ['cc-by-nc-sa-4.0', 'Creative Commons Attribution-NonCommercial-ShareAlike 4.0', 'CC BY-NC-SA 4.0', 'Others may remix and build upon the work non-commercially, crediting the creator and licensing new creations under identical terms.', 'https://creativecommons.org/licenses/by-nc-sa/4.0/'],
  ['odbl-1.0', 'Open Data Commons Open Database License 1.0', 'ODbL', 'Others may share, create and adapt the database as long as they attribute, share alike and keep it open.', 'https://opendatacommons.org/licenses/odbl/1-0/'],
  ['odc-by-1.0', 'Open Data Commons Attribution License 1.0', 'ODC-By', 'Others may share, create and adapt the database as long as they attribute the source.', 'https://opendatacommons.org/licenses/by/1-0/'],
  ['pddl-1.0', 'Open Data Commons Public Domain Dedication and License 1.0', 'PDDL', 'The database is dedicated to the public domain.', 'https://opendatacommons.org/licenses/pddl/1-0/'],
  ['ogl-uk-3.0', 'Open Government Licence v3.0', 'OGL-UK', 'Others may copy, publish, distribute, adapt and exploit the information, commercially and non-commercially, acknowledging the source.', 'https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/'],
  ['varied_original', 'Varied / Original', null, 'The resource is made of parts under different licenses; see the original sources.', null],
  ['varied_derived', 'Varied / Derived', null, 'The resource is derived from sources under different licenses; see the sources.', null]
]

/** [identifier, label, ISO 19115 MD_RestrictionCode definition] */
const RESTRICTION_CODES: [string, string, string][] = [
  ['copyright', 'Copyright', 'Exclusive right to the publication, production, or sale of the rights to a literary, dramatic, musical, or artistic work, or to the use of a commercial print or label, granted by law for a specified period of time to an author, composer, artist, distributor'],
  ['patent', 'Patent', 'Government has granted exclusive right to make, sell, use or license an invention or discovery'],
  ['patentPending', 'Patent pending', 'Produced or sold information awaiting a patent'],
  ['trademark', 'Trademark', 'A name, symbol, or other device identifying a product, officially registered and legally restricted to the use of the owner or licensee'],
  ['license', 'License', 'Formal permission to do something'],
  ['intellectualPropertyRights', 'Intellectual property rights', 'Rights to financial benefit from and control of distribution of non-tangible property that is a result of creativity'],
  ['restricted', 'Restricted', 'Withheld from general circulation or disclosure'],
  ['otherRestrictions', 'Other restrictions', 'Limitation not listed']
]

/** [identifier, label, ISO 19115 MD_SpatialRepresentationTypeCode definition] */
const SPATIAL_REPRESENTATION_TYPES: [string, string, string][] = [
  ['vector', 'Vector', 'Vector data is used to represent geographic data'],
  ['grid', 'Grid', 'Grid data is used to represent geographic data'],
  ['textTable', 'Text table', 'Textual or tabular data is used to represent geographic data'],
  ['tin', 'TIN', 'Triangulated irregular network'],
  ['stereoModel', 'Stereo model', 'Three-dimensional view formed by the intersecting homologous rays of an overlapping pair of images'],
  ['video', 'Video', 'Scene from a video recording']
]

type Bbox = [minx: number, miny: number, maxx: number, maxy: number]

interface RegionSpec {
  code: string
  name: string
  children?: RegionSpec[]
  bbox?: Bbox
}

const country = (code: string, name: string, bbox: Bbox): RegionSpec => ({ code, name, bbox })

/** GeoNode-style region tree: Global, continents, UN M49 sub-regions, countries with ISO3 codes. */
const REGIONS: RegionSpec = {
  code: 'GLO',
  name: 'Global',
  bbox: [-180, -90, 180, 90],
  children: [
    {
      code: 'AFR',
      name: 'Africa',
      children: [
        {
          code: 'NAF',
          name: 'Northern Africa',
          children: [
            country('DZA', 'Algeria', [-8.67, 18.96, 11.99, 37.12]),
            country('EGY', 'Egypt', [24.7, 22.0, 36.87, 31.67]),
            country('MAR', 'Morocco', [-17.02, 21.42, -1.12, 35.92]),
            country('TUN', 'Tunisia', [7.52, 30.31, 11.6, 37.35])
          ]
        },
        {
          code: 'WAF',
          name: 'Western Africa',
          children: [
            country('NGA', 'Nigeria', [2.69, 4.24, 14.68, 13.89]),
            country('GHA', 'Ghana', [-3.26, 4.71, 1.19, 11.17]),
            country('SEN', 'Senegal', [-17.63, 12.31, -11.35, 16.69]),
            country('MLI', 'Mali', [-12.24, 10.16, 4.27, 25.0])
          ]
        },
        {
          code: 'CTA',
          name: 'Middle Africa',
          children: [
            country('CAF', 'Central African Republic', [14.42, 2.22, 27.46, 11.02]),
            country('COD', 'Democratic Republic of the Congo', [12.18, -13.46, 31.31, 5.39]),
            country('CMR', 'Cameroon', [8.49, 1.65, 16.19, 13.08])
          ]
        },
        {
          code: 'EAF',
          name: 'Eastern Africa',
          children: [
            country('KEN', 'Kenya', [33.91, -4.72, 41.91, 5.03]),
            country('ETH', 'Ethiopia', [32.99, 3.4, 47.99, 14.89]),
            country('TZA', 'Tanzania', [29.33, -11.75, 40.44, -0.99]),
            country('UGA', 'Uganda', [29.57, -1.48, 35.04, 4.23]),
            country('MOZ', 'Mozambique', [30.22, -26.87, 40.84, -10.47]),
            country('MDG', 'Madagascar', [43.22, -25.61, 50.48, -11.95])
          ]
        },
        {
          code: 'SAF',
          name: 'Southern Africa',
          children: [
            country('ZAF', 'South Africa', [16.45, -34.84, 32.89, -22.13]),
            country('NAM', 'Namibia', [11.73, -28.97, 25.26, -16.96]),
            country('BWA', 'Botswana', [19.9, -26.91, 29.38, -17.78])
          ]
        }
      ]
    },
    {
      code: 'AME',
      name: 'Americas',
      children: [
        {
          code: 'NRA',
          name: 'Northern America',
          children: [
            country('USA', 'United States of America', [-171.79, 18.91, -66.96, 71.36]),
            country('CAN', 'Canada', [-141.0, 41.68, -52.62, 83.11])
          ]
        },
        {
          code: 'CAM',
          name: 'Central America',
          children: [
            country('MEX', 'Mexico', [-117.13, 14.53, -86.71, 32.72]),
            country('GTM', 'Guatemala', [-92.23, 13.74, -88.22, 17.82]),
            country('CRI', 'Costa Rica', [-85.95, 8.03, -82.55, 11.22])
          ]
        },
        {
          code: 'CRB',
          name: 'Caribbean',
          children: [
            country('CUB', 'Cuba', [-84.97, 19.83, -74.13, 23.27]),
            country('HTI', 'Haiti', [-74.48, 18.02, -71.62, 20.09])
          ]
        },
        {
          code: 'SAM',
          name: 'South America',
          children: [
            country('BRA', 'Brazil', [-73.99, -33.75, -34.79, 5.27]),
            country('ARG', 'Argentina', [-73.58, -55.06, -53.64, -21.78]),
            country('CHL', 'Chile', [-75.72, -55.98, -66.42, -17.5]),
            country('PER', 'Peru', [-81.33, -18.35, -68.65, -0.04]),
            country('COL', 'Colombia', [-79.0, -4.23, -66.87, 12.46])
          ]
        }
      ]
    },
    {
      code: 'ASI',
      name: 'Asia',
      children: [
        {
          code: 'CAS',
          name: 'Central Asia',
          children: [country('KAZ', 'Kazakhstan', [46.49, 40.57, 87.32, 55.44])]
        },
        {
          code: 'EAS',
          name: 'Eastern Asia',
          children: [
            country('CHN', 'China', [73.5, 18.16, 134.77, 53.56]),
            country('JPN', 'Japan', [129.41, 31.03, 145.54, 45.55]),
            country('KOR', 'Republic of Korea', [126.12, 33.11, 129.58, 38.61]),
            country('MNG', 'Mongolia', [87.73, 41.57, 119.93, 52.15])
          ]
        },
        {
          code: 'SAS',
          name: 'Southern Asia',
          children: [
            country('IND', 'India', [68.18, 6.75, 97.4, 35.5]),
            country('PAK', 'Pakistan', [60.87, 23.69, 77.84, 37.1]),
            country('BGD', 'Bangladesh', [88.01, 20.67, 92.67, 26.63]),
            country('NPL', 'Nepal', [80.06, 26.35, 88.2, 30.45])
          ]
        },
        {
          code: 'SEA',
          name: 'South-Eastern Asia',
          children: [
            country('IDN', 'Indonesia', [95.29, -10.36, 141.03, 5.48]),
            country('PHL', 'Philippines', [116.93, 4.59, 126.6, 21.12]),
            country('VNM', 'Viet Nam', [102.14, 8.56, 109.47, 23.39]),
            country('THA', 'Thailand', [97.34, 5.61, 105.64, 20.46])
          ]
        },
        {
          code: 'WAS',
          name: 'Western Asia',
          children: [
            country('TUR', 'Turkey', [25.66, 35.81, 44.82, 42.11]),
            country('SAU', 'Saudi Arabia', [34.5, 16.35, 55.67, 32.16]),
            country('ISR', 'Israel', [34.27, 29.49, 35.9, 33.34])
          ]
        }
      ]
    },
    {
      code: 'EUR',
      name: 'Europe',
      children: [
        {
          code: 'NEU',
          name: 'Northern Europe',
          children: [
            country('GBR', 'United Kingdom', [-8.65, 49.86, 1.77, 60.86]),
            country('IRL', 'Ireland', [-10.48, 51.42, -5.99, 55.39]),
            country('NOR', 'Norway', [4.64, 57.96, 31.08, 71.19]),
            country('SWE', 'Sweden', [11.11, 55.34, 24.17, 69.06]),
            country('FIN', 'Finland', [20.55, 59.81, 31.59, 70.09]),
            country('ISL', 'Iceland', [-24.55, 63.3, -13.5, 66.57])
          ]
        },
        {
          code: 'WEU',
          name: 'Western Europe',
          children: [
            country('FRA', 'France', [-5.14, 41.33, 9.56, 51.09]),
            country('DEU', 'Germany', [5.87, 47.27, 15.04, 55.06]),
            country('NLD', 'Netherlands', [3.36, 50.75, 7.23, 53.55]),
            country('CHE', 'Switzerland', [5.96, 45.82, 10.49, 47.81]),
            country('AUT', 'Austria', [9.53, 46.37, 17.16, 49.02])
          ]
        },
        {
          code: 'SEU',
          name: 'Southern Europe',
          children: [
            country('ITA', 'Italy', [6.63, 35.49, 18.52, 47.09]),
            country('ESP', 'Spain', [-9.3, 35.95, 4.33, 43.79]),
            country('PRT', 'Portugal', [-9.53, 36.96, -6.19, 42.15]),
            country('GRC', 'Greece', [19.37, 34.8, 28.25, 41.75])
          ]
        },
        {
          code: 'EEU',
          name: 'Eastern Europe',
          children: [
            country('POL', 'Poland', [14.12, 49.0, 24.15, 54.84]),
            country('UKR', 'Ukraine', [22.14, 44.38, 40.23, 52.38]),
            country('ROU', 'Romania', [20.26, 43.62, 29.74, 48.27]),
            country('RUS', 'Russian Federation', [19.64, 41.19, 180.0, 81.86])
          ]
        }
      ]
    },
    {
      code: 'OCE',
      name: 'Oceania',
      children: [
        {
          code: 'ANZ',
          name: 'Australia and New Zealand',
          children: [
            country('AUS', 'Australia', [112.92, -43.74, 153.64, -10.06]),
            country('NZL', 'New Zealand', [166.43, -47.29, 178.58, -34.39])
          ]
        },
        {
          code: 'MEL',
          name: 'Melanesia',
          children: [
            country('PNG', 'Papua New Guinea', [140.84, -11.66, 155.97, -1.32]),
            country('FJI', 'Fiji', [177.0, -19.2, 180.0, -16.0])
          ]
        }
      ]
    }
  ]
}

/** [code, English label] of the 34 INSPIRE themes. */
const INSPIRE_THEMES: [string, string][] = [
  ['ad', 'Addresses'],
  ['au', 'Administrative units'],
  ['rs', 'Coordinate reference systems'],
  ['gg', 'Geographical grid systems'],
  ['cp', 'Cadastral parcels'],
  ['gn', 'Geographical names'],
  ['hy', 'Hydrography'],
  ['ps', 'Protected sites'],
  ['tn', 'Transport networks'],
  ['el', 'Elevation'],
  ['lc', 'Land cover'],
  ['oi', 'Orthoimagery'],
  ['ge', 'Geology'],
  ['su', 'Statistical units'],
  ['bu', 'Buildings'],
  ['so', 'Soil'],
  ['lu', 'Land use'],
  ['hh', 'Human health and safety'],
  ['us', 'Utility and governmental services'],
  ['ef', 'Environmental monitoring facilities'],
  ['pf', 'Production and industrial facilities'],
  ['af', 'Agricultural and aquaculture facilities'],
  ['pd', 'Population distribution — demography'],
  ['am', 'Area management/restriction/regulation zones and reporting units'],
  ['nz', 'Natural risk zones'],
  ['ac', 'Atmospheric conditions'],
  ['mf', 'Meteorological geographical features'],
  ['of', 'Oceanographic geographical features'],
  ['sr', 'Sea regions'],
  ['br', 'Bio-geographical regions'],
  ['hb', 'Habitats and biotopes'],
  ['sd', 'Species distribution'],
  ['er', 'Energy resources'],
  ['mr', 'Mineral resources']
]

export const INSPIRE_THESAURUS = {
  identifier: 'inspire-theme',
  title: 'GEMET - INSPIRE themes, version 1.0',
  uri: 'http://inspire.ec.europa.eu/theme'
}

const GROUP_CATEGORIES: [string, string, string][] = [
  ['field-teams', 'Field teams', 'Teams collecting data on the ground'],
  ['research', 'Research', 'Universities, institutes and research projects'],
  ['administration', 'Administration', 'Public administration and government agencies'],
  ['data-providers', 'Data providers', 'Organisations publishing reference data'],
  ['emergency-response', 'Emergency response', 'Civil protection and humanitarian responders']
]

const UPLOAD_SIZE_LIMITS: [string, string, number][] = [
  ['dataset_upload_size', 'The sum of sizes for the files of a dataset upload.', 104857600],
  ['document_upload_size', 'The size of a document upload.', 104857600],
  ['total_upload_size_sum', 'The sum of sizes of all files of an upload.', 104857600],
  ['file_upload_handler', 'Request body size above which uploads are refused by the upload handler.', 1073741824]
]

/** Django-style slug: ASCII, lowercase, runs of other characters become one hyphen. */
export function slugify(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

/**
 * Fills GeoNode's stock vocabularies (topic categories, licenses, ISO code lists, regions, the INSPIRE thesaurus,
 * group categories, upload size limits). Safe to run again: existing identifiers are left alone.
 * Runs no transaction of its own.
 */
export function insertReferenceData(sqlite: Sqlite.Database): void {
  insertTopicCategories(sqlite)
  insertCodeList(sqlite, 'restriction_code_types', RESTRICTION_CODES)
  insertCodeList(sqlite, 'spatial_representation_types', SPATIAL_REPRESENTATION_TYPES)
  insertLicenses(sqlite)
  insertRegions(sqlite)
  insertInspireThesaurus(sqlite)
  insertGroupCategories(sqlite)
  insertUploadSizeLimits(sqlite)
}

function insertTopicCategories(sqlite: Sqlite.Database): void {
  const insert = sqlite.prepare(
    `INSERT OR IGNORE INTO topic_categories (identifier, description, gn_description, is_choice, fa_class)
     VALUES (?, ?, ?, 1, ?)`
  )
  for (const [identifier, label, faClass, description] of TOPIC_CATEGORIES) insert.run(identifier, description, label, faClass)
}

function insertCodeList(sqlite: Sqlite.Database, table: string, rows: [string, string, string][]): void {
  const insert = sqlite.prepare(
    `INSERT OR IGNORE INTO ${table} (identifier, description, gn_description, is_choice) VALUES (?, ?, ?, 1)`
  )
  for (const [identifier, label, description] of rows) insert.run(identifier, description, label)
}

function insertLicenses(sqlite: Sqlite.Database): void {
  const insert = sqlite.prepare(
    'INSERT OR IGNORE INTO licenses (identifier, name, abbreviation, description, url) VALUES (?, ?, ?, ?, ?)'
  )
  for (const row of LICENSES) insert.run(...row)
}

function insertRegions(sqlite: Sqlite.Database): void {
  const insert = sqlite.prepare(
    `INSERT OR IGNORE INTO regions (code, name, parent_id, bbox_x0, bbox_x1, bbox_y0, bbox_y1)
     VALUES (?, ?, (SELECT id FROM regions WHERE code = ?), ?, ?, ?, ?)`
  )
  const visit = (region: RegionSpec, parent: string | null): void => {
    const [x0, y0, x1, y1] = regionBbox(region)
    insert.run(region.code, region.name, parent, x0, x1, y0, y1)
    for (const child of region.children ?? []) visit(child, region.code)
  }
  visit(REGIONS, null)
  rebuildRegionTree(sqlite)
}

function regionBbox(region: RegionSpec): Bbox {
  if (region.bbox) return region.bbox
  const boxes = (region.children ?? []).map(regionBbox)
  return [
    Math.min(...boxes.map((b) => b[0])),
    Math.min(...boxes.map((b) => b[1])),
    Math.max(...boxes.map((b) => b[2])),
    Math.max(...boxes.map((b) => b[3]))
  ]
}

interface RegionNode {
  id: number
  parent_id: number | null
  name: string
  lft: number
  rght: number
  tree_id: number
  level: number
}

/** Recomputes the MPTT columns of every region (children ordered by name, like GeoNode), touching only rows that change. */
export function rebuildRegionTree(sqlite: Sqlite.Database): void {
  const nodes = sqlite.prepare('SELECT id, parent_id, name, lft, rght, tree_id, level FROM regions ORDER BY id').all() as RegionNode[]
  const ids = new Set(nodes.map((node) => node.id))
  const children = new Map<number | null, RegionNode[]>()
  for (const node of nodes) {
    const key = node.parent_id !== null && ids.has(node.parent_id) ? node.parent_id : null
    children.set(key, [...(children.get(key) ?? []), node])
  }
  for (const list of children.values()) list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id))
  const update = sqlite.prepare(
    `UPDATE regions SET lft = ?, rght = ?, tree_id = ?, level = ?
     WHERE id = ? AND (lft IS NOT ? OR rght IS NOT ? OR tree_id IS NOT ? OR level IS NOT ?)`
  )
  const number = (node: RegionNode, treeId: number, level: number, left: number): number => {
    let next = left + 1
    for (const child of children.get(node.id) ?? []) next = number(child, treeId, level + 1, next)
    update.run(left, next, treeId, level, node.id, left, next, treeId, level)
    return next + 1
  }
  const roots = (children.get(null) ?? []).slice().sort((a, b) => a.id - b.id)
  roots.forEach((root, index) => number(root, index + 1, 0, 1))
}

function insertInspireThesaurus(sqlite: Sqlite.Database): void {
  const { identifier, title, uri } = INSPIRE_THESAURUS
  sqlite.prepare('INSERT OR IGNORE INTO thesauri (identifier, title, uri) VALUES (?, ?, ?)').run(identifier, title, uri)
  const keyword = sqlite.prepare(
    `INSERT OR IGNORE INTO thesaurus_keywords (thesaurus_id, about, alt_label, slug)
     VALUES ((SELECT id FROM thesauri WHERE identifier = ?), ?, ?, ?)`
  )
  const label = sqlite.prepare(
    `INSERT OR IGNORE INTO thesaurus_keyword_labels (keyword_id, lang, label)
     VALUES ((SELECT id FROM thesaurus_keywords WHERE slug = ?), 'en', ?)`
  )
  for (const [code, english] of INSPIRE_THEMES) {
    const about = `${uri}/${code}`
    const slug = slugify(about)
    keyword.run(identifier, about, code, slug)
    label.run(slug, english)
  }
}

function insertGroupCategories(sqlite: Sqlite.Database): void {
  const insert = sqlite.prepare('INSERT OR IGNORE INTO group_categories (slug, name, description) VALUES (?, ?, ?)')
  for (const row of GROUP_CATEGORIES) insert.run(...row)
}

function insertUploadSizeLimits(sqlite: Sqlite.Database): void {
  const insert = sqlite.prepare('INSERT OR IGNORE INTO upload_size_limits (slug, description, max_size) VALUES (?, ?, ?)')
  for (const row of UPLOAD_SIZE_LIMITS) insert.run(...row)
}
