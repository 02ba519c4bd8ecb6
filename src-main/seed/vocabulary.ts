/** The words, places and themes the demo catalogue is written from. */

export type Geometry = 'polygon' | 'line' | 'point' | 'raster'

export interface Theme {
  label: string
  category: string | null
  geometry: Geometry
  inspire: string
  roots: string[]
  noun: string
  attributes: [string, string][]
}

const S = 'xsd:string'
const I = 'xsd:int'
const D = 'xsd:double'
const T = 'xsd:dateTime'

export const THEMES: Theme[] = [
  { label: 'Land cover', category: 'imageryBaseMapsEarthCover', geometry: 'raster', inspire: 'lc', roots: ['land cover', 'imagery'], noun: 'pixels', attributes: [] },
  { label: 'Land cover', category: 'imageryBaseMapsEarthCover', geometry: 'polygon', inspire: 'lc', roots: ['land cover'], noun: 'land cover polygons', attributes: [['class', S], ['class_code', I], ['area_ha', D], ['confidence', D]] },
  { label: 'Land use', category: 'planningCadastre', geometry: 'polygon', inspire: 'lu', roots: ['urban', 'administration'], noun: 'land use zones', attributes: [['land_use', S], ['zone_code', S], ['area_ha', D], ['approved', T]] },
  { label: 'Road network', category: 'transportation', geometry: 'line', inspire: 'tn', roots: ['transport'], noun: 'road segments', attributes: [['highway', S], ['surface', S], ['lanes', I], ['maxspeed', I], ['length_km', D]] },
  { label: 'Railway lines', category: 'transportation', geometry: 'line', inspire: 'tn', roots: ['transport'], noun: 'railway sections', attributes: [['operator', S], ['gauge_mm', I], ['electrified', S], ['length_km', D]] },
  { label: 'Flood extent', category: 'inlandWaters', geometry: 'polygon', inspire: 'nz', roots: ['natural hazards', 'hydrology'], noun: 'flooded areas', attributes: [['event_date', T], ['water_depth_m', D], ['sensor', S], ['area_km2', D]] },
  { label: 'Flood hazard', category: 'inlandWaters', geometry: 'raster', inspire: 'nz', roots: ['natural hazards', 'hydrology'], noun: 'cells', attributes: [] },
  { label: 'Soil samples', category: 'geoscientificInformation', geometry: 'point', inspire: 'so', roots: ['soil'], noun: 'sampling sites', attributes: [['sample_id', S], ['depth_cm', I], ['ph', D], ['organic_carbon', D], ['clay_pct', D], ['sampled_on', T]] },
  { label: 'Soil types', category: 'geoscientificInformation', geometry: 'polygon', inspire: 'so', roots: ['soil'], noun: 'soil units', attributes: [['wrb_class', S], ['texture', S], ['drainage', S], ['area_ha', D]] },
  { label: 'River network', category: 'inlandWaters', geometry: 'line', inspire: 'hy', roots: ['hydrology'], noun: 'river reaches', attributes: [['river_name', S], ['strahler', I], ['perennial', S], ['length_km', D]] },
  { label: 'Water bodies', category: 'inlandWaters', geometry: 'polygon', inspire: 'hy', roots: ['hydrology'], noun: 'lakes and reservoirs', attributes: [['water_type', S], ['area_km2', D], ['max_depth_m', D], ['salinity', S]] },
  { label: 'Elevation model', category: 'elevation', geometry: 'raster', inspire: 'el', roots: ['elevation'], noun: 'cells', attributes: [] },
  { label: 'Contour lines', category: 'elevation', geometry: 'line', inspire: 'el', roots: ['elevation'], noun: 'contours', attributes: [['elevation_m', D], ['index_line', S]] },
  { label: 'Administrative boundaries', category: 'boundaries', geometry: 'polygon', inspire: 'au', roots: ['administration'], noun: 'administrative units', attributes: [['adm_name', S], ['adm_code', S], ['adm_level', I], ['population', I], ['area_km2', D]] },
  { label: 'Population density', category: 'society', geometry: 'raster', inspire: 'pd', roots: ['population'], noun: 'cells', attributes: [] },
  { label: 'Census districts', category: 'society', geometry: 'polygon', inspire: 'su', roots: ['population', 'administration'], noun: 'enumeration areas', attributes: [['district', S], ['population', I], ['households', I], ['census_year', I]] },
  { label: 'Health facilities', category: 'health', geometry: 'point', inspire: 'us', roots: ['health'], noun: 'facilities', attributes: [['facility_name', S], ['facility_type', S], ['beds', I], ['operator', S], ['opened', T]] },
  { label: 'Schools', category: 'society', geometry: 'point', inspire: 'us', roots: ['education'], noun: 'schools', attributes: [['school_name', S], ['level', S], ['pupils', I], ['teachers', I]] },
  { label: 'Building footprints', category: 'structure', geometry: 'polygon', inspire: 'bu', roots: ['infrastructure', 'urban'], noun: 'buildings', attributes: [['building', S], ['levels', I], ['height_m', D], ['use', S]] },
  { label: 'Protected areas', category: 'environment', geometry: 'polygon', inspire: 'ps', roots: ['environment'], noun: 'protected sites', attributes: [['site_name', S], ['iucn_cat', S], ['designation', S], ['area_km2', D], ['established', I]] },
  { label: 'Forest cover', category: 'biota', geometry: 'raster', inspire: 'lc', roots: ['land cover', 'environment'], noun: 'cells', attributes: [] },
  { label: 'Species observations', category: 'biota', geometry: 'point', inspire: 'sd', roots: ['environment'], noun: 'observations', attributes: [['species', S], ['count', I], ['observer', S], ['observed_on', T]] },
  { label: 'Habitat map', category: 'biota', geometry: 'polygon', inspire: 'hb', roots: ['environment'], noun: 'habitat patches', attributes: [['habitat', S], ['eunis_code', S], ['condition', S], ['area_ha', D]] },
  { label: 'Rainfall', category: 'climatologyMeteorologyAtmosphere', geometry: 'raster', inspire: 'mf', roots: ['climate'], noun: 'cells', attributes: [] },
  { label: 'Temperature anomaly', category: 'climatologyMeteorologyAtmosphere', geometry: 'raster', inspire: 'ac', roots: ['climate'], noun: 'cells', attributes: [] },
  { label: 'Weather stations', category: 'climatologyMeteorologyAtmosphere', geometry: 'point', inspire: 'ef', roots: ['climate'], noun: 'stations', attributes: [['station_id', S], ['altitude_m', D], ['operator', S], ['since', I]] },
  { label: 'Geological map', category: 'geoscientificInformation', geometry: 'polygon', inspire: 'ge', roots: ['geology'], noun: 'geological units', attributes: [['unit', S], ['lithology', S], ['age', S], ['area_km2', D]] },
  { label: 'Mineral occurrences', category: 'geoscientificInformation', geometry: 'point', inspire: 'mr', roots: ['geology', 'economy'], noun: 'occurrences', attributes: [['commodity', S], ['status', S], ['grade', D]] },
  { label: 'Earthquake epicentres', category: 'geoscientificInformation', geometry: 'point', inspire: 'nz', roots: ['natural hazards', 'geology'], noun: 'events', attributes: [['magnitude', D], ['depth_km', D], ['event_time', T]] },
  { label: 'Landslide inventory', category: 'geoscientificInformation', geometry: 'point', inspire: 'nz', roots: ['natural hazards'], noun: 'landslides', attributes: [['slide_type', S], ['volume_m3', D], ['trigger', S], ['event_date', T]] },
  { label: 'Crop types', category: 'farming', geometry: 'polygon', inspire: 'lu', roots: ['agriculture'], noun: 'fields', attributes: [['crop', S], ['season', S], ['area_ha', D], ['irrigated', S]] },
  { label: 'Irrigation schemes', category: 'farming', geometry: 'polygon', inspire: 'af', roots: ['agriculture', 'hydrology'], noun: 'schemes', attributes: [['scheme', S], ['water_source', S], ['area_ha', D], ['farmers', I]] },
  { label: 'Livestock density', category: 'farming', geometry: 'raster', inspire: 'af', roots: ['agriculture'], noun: 'cells', attributes: [] },
  { label: 'Power lines', category: 'utilitiesCommunication', geometry: 'line', inspire: 'us', roots: ['infrastructure'], noun: 'line sections', attributes: [['voltage_kv', I], ['operator', S], ['circuits', I], ['length_km', D]] },
  { label: 'Mobile network coverage', category: 'utilitiesCommunication', geometry: 'polygon', inspire: 'us', roots: ['infrastructure'], noun: 'coverage areas', attributes: [['technology', S], ['operator', S], ['signal', S]] },
  { label: 'Bathymetry', category: 'oceans', geometry: 'raster', inspire: 'el', roots: ['oceans', 'elevation'], noun: 'cells', attributes: [] },
  { label: 'Coastline', category: 'oceans', geometry: 'line', inspire: 'sr', roots: ['oceans'], noun: 'coastline segments', attributes: [['shore_type', S], ['erosion_rate', D], ['length_km', D]] },
  { label: 'Markets', category: 'economy', geometry: 'point', inspire: 'pf', roots: ['economy'], noun: 'markets', attributes: [['market_name', S], ['market_day', S], ['traders', I]] },
  { label: 'Industrial sites', category: 'economy', geometry: 'point', inspire: 'pf', roots: ['economy', 'infrastructure'], noun: 'sites', attributes: [['site_name', S], ['sector', S], ['employees', I]] },
  { label: 'Orthophoto', category: 'imageryBaseMapsEarthCover', geometry: 'raster', inspire: 'oi', roots: ['imagery'], noun: 'cells', attributes: [] },
  { label: 'Place names', category: 'location', geometry: 'point', inspire: 'gn', roots: ['administration'], noun: 'named places', attributes: [['name_local', S], ['name_en', S], ['place_type', S]] },
  { label: 'Cadastral parcels', category: 'planningCadastre', geometry: 'polygon', inspire: 'cp', roots: ['administration', 'urban'], noun: 'parcels', attributes: [['parcel_id', S], ['owner_type', S], ['area_m2', D], ['registered', T]] },
  { label: 'Restricted zones', category: 'intelligenceMilitary', geometry: 'polygon', inspire: 'am', roots: ['administration'], noun: 'zones', attributes: [['zone_type', S], ['authority', S], ['valid_from', T]] },
  { label: 'Wind energy potential', category: 'utilitiesCommunication', geometry: 'raster', inspire: 'er', roots: ['infrastructure', 'climate'], noun: 'cells', attributes: [] },
  { label: 'Groundwater wells', category: 'inlandWaters', geometry: 'point', inspire: 'hy', roots: ['hydrology', 'geology'], noun: 'wells', attributes: [['well_id', S], ['depth_m', D], ['yield_ls', D], ['drilled', I]] },
  { label: 'Air quality monitoring', category: 'environment', geometry: 'point', inspire: 'ef', roots: ['environment', 'health'], noun: 'monitoring stations', attributes: [['pm25', D], ['no2', D], ['station_type', S], ['measured', T]] },
  { label: 'Informal settlements', category: null, geometry: 'polygon', inspire: 'pd', roots: ['population', 'urban'], noun: 'settlements', attributes: [['settlement', S], ['households', I], ['area_ha', D]] }
]

export const RASTER_THEMES = THEMES.filter((t) => t.geometry === 'raster')
export const VECTOR_THEMES = THEMES.filter((t) => t.geometry !== 'raster')

export const GEOMETRY_TYPES: Record<Geometry, string> = {
  polygon: 'gml:MultiPolygonPropertyType',
  line: 'gml:MultiLineStringPropertyType',
  point: 'gml:PointPropertyType',
  raster: ''
}

export const COMMON_ATTRIBUTES: [string, string][] = [['name', S], ['source', S], ['fid', I], ['updated', T], ['remarks', S]]

export const KEYWORD_TREE: Record<string, string[]> = {
  'land cover': ['forest', 'grassland', 'cropland', 'wetland', 'bare soil', 'urban area', 'shrubland', 'snow and ice', 'mangroves', 'deforestation', 'land cover change', 'Corine', 'Sentinel-2', 'Landsat'],
  hydrology: ['rivers', 'lakes', 'groundwater', 'watershed', 'catchment', 'river basin', 'discharge', 'water quality', 'reservoirs', 'springs', 'wells', 'floods', 'drought', 'irrigation'],
  transport: ['roads', 'highways', 'railways', 'airports', 'ports', 'bridges', 'public transport', 'bus routes', 'traffic', 'logistics', 'road condition', 'footpaths', 'cycling', 'ferries'],
  climate: ['precipitation', 'temperature', 'climate change', 'rainfall', 'evapotranspiration', 'humidity', 'wind', 'solar radiation', 'weather stations', 'seasonal forecast', 'heat waves', 'CMIP6', 'ERA5', 'climate projections'],
  'natural hazards': ['flood risk', 'earthquakes', 'landslides', 'tsunami', 'wildfire', 'cyclones', 'storm surge', 'volcanoes', 'hazard mapping', 'exposure', 'vulnerability', 'early warning', 'disaster response', 'damage assessment'],
  environment: ['protected areas', 'biodiversity', 'habitats', 'species', 'air quality', 'pollution', 'noise', 'waste', 'conservation', 'ecosystem services', 'national parks', 'invasive species', 'wildlife', 'coral reefs'],
  agriculture: ['crops', 'livestock', 'soil moisture', 'yield', 'fertilizer', 'farming systems', 'food security', 'pastures', 'agroforestry', 'rice', 'maize', 'coffee', 'fisheries', 'aquaculture'],
  soil: ['soil samples', 'soil organic carbon', 'soil texture', 'soil pH', 'erosion', 'soil survey', 'topsoil', 'salinity', 'nutrients', 'soil classification', 'WRB', 'compaction', 'land degradation', 'sediment'],
  population: ['census', 'population density', 'households', 'demographics', 'migration', 'settlements', 'urbanisation', 'poverty', 'informal settlements', 'refugees', 'gridded population', 'age structure', 'WorldPop', 'enumeration areas'],
  health: ['hospitals', 'clinics', 'malaria', 'vaccination', 'disease surveillance', 'health facilities', 'pharmacies', 'COVID-19', 'cholera', 'maternal health', 'nutrition', 'water and sanitation', 'epidemiology', 'access to care'],
  education: ['schools', 'universities', 'literacy', 'enrolment', 'teachers', 'school catchments', 'early childhood', 'vocational training', 'school infrastructure', 'education access', 'dropout rates', 'exam results', 'school feeding', 'libraries'],
  infrastructure: ['buildings', 'power lines', 'electricity', 'telecommunications', 'mobile coverage', 'water supply', 'sewerage', 'pipelines', 'dams', 'energy', 'solar', 'wind farms', 'substations', 'street lights'],
  administration: ['administrative boundaries', 'districts', 'municipalities', 'provinces', 'cadastre', 'land parcels', 'zoning', 'electoral wards', 'census tracts', 'postcodes', 'addresses', 'place names', 'gazetteer', 'borders'],
  geology: ['bedrock', 'faults', 'lithology', 'minerals', 'mining', 'boreholes', 'geophysics', 'seismicity', 'stratigraphy', 'quarries', 'geochemistry', 'karst', 'aquifers', 'oil and gas'],
  elevation: ['DEM', 'DTM', 'DSM', 'contours', 'slope', 'aspect', 'hillshade', 'LiDAR', 'SRTM', 'terrain', 'relief', 'bathymetry', 'topography', 'Copernicus DEM'],
  oceans: ['coastline', 'sea level', 'sea surface temperature', 'marine protected areas', 'shipping lanes', 'currents', 'tides', 'coastal erosion', 'beaches', 'estuaries', 'continental shelf', 'EEZ', 'ocean colour', 'fishing grounds'],
  imagery: ['orthophoto', 'satellite imagery', 'aerial photography', 'drone', 'UAV', 'Sentinel-1', 'SAR', 'multispectral', 'NDVI', 'mosaic', 'basemap', 'true colour', 'night lights', 'change detection'],
  economy: ['markets', 'trade', 'industry', 'tourism', 'employment', 'GDP', 'business locations', 'mining concessions', 'land value', 'commodity prices', 'retail', 'investment', 'informal economy', 'remittances'],
  'open data': ['INSPIRE', 'OGC', 'WMS', 'WFS', 'GeoTIFF', 'shapefile', 'GeoPackage', 'metadata', 'OpenStreetMap', 'field survey', 'GPS', 'crowdsourcing', 'time series', 'validation'],
  urban: ['urban planning', 'green spaces', 'street network', 'land use', 'housing', 'urban heat island', 'zoning plan', 'smart city', 'building height', 'public spaces', 'densification', 'brownfields', 'parking', 'city blocks']
}

/** [city, ISO3 country, lon, lat] */
export const CITIES: [string, string, number, number][] = [
  ['Algiers', 'DZA', 3.06, 36.75], ['Oran', 'DZA', -0.64, 35.7], ['Cairo', 'EGY', 31.24, 30.04], ['Alexandria', 'EGY', 29.92, 31.2],
  ['Rabat', 'MAR', -6.84, 34.02], ['Marrakesh', 'MAR', -7.99, 31.63], ['Tunis', 'TUN', 10.18, 36.81], ['Lagos', 'NGA', 3.38, 6.52],
  ['Abuja', 'NGA', 7.49, 9.06], ['Kano', 'NGA', 8.52, 12.0], ['Accra', 'GHA', -0.19, 5.6], ['Kumasi', 'GHA', -1.62, 6.69],
  ['Dakar', 'SEN', -17.45, 14.69], ['Saint-Louis', 'SEN', -16.49, 16.03], ['Bamako', 'MLI', -8.0, 12.64], ['Timbuktu', 'MLI', -3.0, 16.77],
  ['Bangui', 'CAF', 18.56, 4.39], ['Kinshasa', 'COD', 15.27, -4.44], ['Goma', 'COD', 29.22, -1.68], ['Yaoundé', 'CMR', 11.5, 3.87],
  ['Douala', 'CMR', 9.7, 4.05], ['Nairobi', 'KEN', 36.82, -1.29], ['Mombasa', 'KEN', 39.67, -4.04], ['Kisumu', 'KEN', 34.76, -0.09],
  ['Addis Ababa', 'ETH', 38.75, 9.03], ['Bahir Dar', 'ETH', 37.39, 11.59], ['Dar es Salaam', 'TZA', 39.28, -6.79], ['Arusha', 'TZA', 36.68, -3.39],
  ['Kampala', 'UGA', 32.58, 0.35], ['Gulu', 'UGA', 32.3, 2.77], ['Maputo', 'MOZ', 32.57, -25.97], ['Beira', 'MOZ', 34.84, -19.84],
  ['Antananarivo', 'MDG', 47.52, -18.88], ['Toamasina', 'MDG', 49.4, -18.15], ['Cape Town', 'ZAF', 18.42, -33.92], ['Johannesburg', 'ZAF', 28.05, -26.2],
  ['Durban', 'ZAF', 31.02, -29.86], ['Windhoek', 'NAM', 17.08, -22.56], ['Gaborone', 'BWA', 25.91, -24.65], ['Maun', 'BWA', 23.42, -19.98],
  ['Denver', 'USA', -104.99, 39.74], ['Boulder', 'USA', -105.27, 40.01], ['New Orleans', 'USA', -90.07, 29.95], ['Seattle', 'USA', -122.33, 47.61],
  ['Vancouver', 'CAN', -123.12, 49.28], ['Montréal', 'CAN', -73.57, 45.5], ['Mexico City', 'MEX', -99.13, 19.43], ['Oaxaca', 'MEX', -96.73, 17.07],
  ['Guatemala City', 'GTM', -90.51, 14.63], ['San José', 'CRI', -84.09, 9.93], ['Havana', 'CUB', -82.37, 23.11], ['Port-au-Prince', 'HTI', -72.34, 18.54],
  ['Les Cayes', 'HTI', -73.75, 18.19], ['São Paulo', 'BRA', -46.63, -23.55], ['Manaus', 'BRA', -60.02, -3.12], ['Recife', 'BRA', -34.88, -8.05],
  ['Buenos Aires', 'ARG', -58.38, -34.6], ['Mendoza', 'ARG', -68.83, -32.89], ['Santiago', 'CHL', -70.67, -33.45], ['Valparaíso', 'CHL', -71.62, -33.05],
  ['Lima', 'PER', -77.04, -12.05], ['Cusco', 'PER', -71.97, -13.53], ['Bogotá', 'COL', -74.07, 4.71], ['Medellín', 'COL', -75.56, 6.25],
  ['Almaty', 'KAZ', 76.89, 43.24], ['Astana', 'KAZ', 71.45, 51.17], ['Beijing', 'CHN', 116.41, 39.9], ['Chengdu', 'CHN', 104.07, 30.57],
  ['Wuhan', 'CHN', 114.31, 30.59], ['Tokyo', 'JPN', 139.69, 35.69], ['Sendai', 'JPN', 140.87, 38.27], ['Seoul', 'KOR', 126.98, 37.57],
  ['Busan', 'KOR', 129.08, 35.18], ['Ulaanbaatar', 'MNG', 106.91, 47.89], ['Mumbai', 'IND', 72.88, 19.08], ['Delhi', 'IND', 77.21, 28.61],
  ['Chennai', 'IND', 80.27, 13.08], ['Kolkata', 'IND', 88.36, 22.57], ['Karachi', 'PAK', 67.01, 24.86], ['Lahore', 'PAK', 74.36, 31.52],
  ['Dhaka', 'BGD', 90.41, 23.81], ['Chittagong', 'BGD', 91.83, 22.36], ['Kathmandu', 'NPL', 85.32, 27.72], ['Pokhara', 'NPL', 83.99, 28.21],
  ['Jakarta', 'IDN', 106.85, -6.21], ['Yogyakarta', 'IDN', 110.37, -7.8], ['Padang', 'IDN', 100.35, -0.95], ['Manila', 'PHL', 120.98, 14.6],
  ['Tacloban', 'PHL', 125.0, 11.24], ['Hanoi', 'VNM', 105.85, 21.03], ['Ho Chi Minh City', 'VNM', 106.63, 10.82], ['Can Tho', 'VNM', 105.78, 10.05],
  ['Bangkok', 'THA', 100.5, 13.76], ['Chiang Mai', 'THA', 98.99, 18.79], ['Istanbul', 'TUR', 28.98, 41.01], ['Izmir', 'TUR', 27.14, 38.42],
  ['Riyadh', 'SAU', 46.68, 24.71], ['Jeddah', 'SAU', 39.19, 21.49], ['Haifa', 'ISR', 34.99, 32.79], ['London', 'GBR', -0.13, 51.51],
  ['Edinburgh', 'GBR', -3.19, 55.95], ['Bristol', 'GBR', -2.59, 51.45], ['Dublin', 'IRL', -6.26, 53.35], ['Galway', 'IRL', -9.05, 53.27],
  ['Oslo', 'NOR', 10.75, 59.91], ['Tromsø', 'NOR', 18.96, 69.65], ['Stockholm', 'SWE', 18.07, 59.33], ['Uppsala', 'SWE', 17.64, 59.86],
  ['Helsinki', 'FIN', 24.94, 60.17], ['Oulu', 'FIN', 25.47, 65.01], ['Reykjavík', 'ISL', -21.94, 64.15], ['Paris', 'FRA', 2.35, 48.86],
  ['Lyon', 'FRA', 4.84, 45.76], ['Marseille', 'FRA', 5.37, 43.3], ['Berlin', 'DEU', 13.4, 52.52], ['Munich', 'DEU', 11.58, 48.14],
  ['Hamburg', 'DEU', 9.99, 53.55], ['Amsterdam', 'NLD', 4.9, 52.37], ['Rotterdam', 'NLD', 4.48, 51.92], ['Zürich', 'CHE', 8.54, 47.38],
  ['Geneva', 'CHE', 6.14, 46.2], ['Vienna', 'AUT', 16.37, 48.21], ['Innsbruck', 'AUT', 11.4, 47.27], ['Rome', 'ITA', 12.5, 41.9],
  ['Florence', 'ITA', 11.26, 43.77], ['Naples', 'ITA', 14.27, 40.85], ['Venice', 'ITA', 12.32, 45.44], ['Madrid', 'ESP', -3.7, 40.42],
  ['Valencia', 'ESP', -0.38, 39.47], ['Seville', 'ESP', -5.98, 37.39], ['Lisbon', 'PRT', -9.14, 38.72], ['Porto', 'PRT', -8.61, 41.15],
  ['Athens', 'GRC', 23.73, 37.98], ['Thessaloniki', 'GRC', 22.94, 40.64], ['Warsaw', 'POL', 21.01, 52.23], ['Kraków', 'POL', 19.94, 50.06],
  ['Kyiv', 'UKR', 30.52, 50.45], ['Odesa', 'UKR', 30.72, 46.48], ['Bucharest', 'ROU', 26.1, 44.43], ['Cluj-Napoca', 'ROU', 23.6, 46.77],
  ['Moscow', 'RUS', 37.62, 55.76], ['Novosibirsk', 'RUS', 82.92, 55.03], ['Vladivostok', 'RUS', 131.89, 43.12], ['Sydney', 'AUS', 151.21, -33.87],
  ['Brisbane', 'AUS', 153.03, -27.47], ['Perth', 'AUS', 115.86, -31.95], ['Wellington', 'NZL', 174.78, -41.29], ['Christchurch', 'NZL', 172.64, -43.53],
  ['Port Moresby', 'PNG', 147.18, -9.44], ['Lae', 'PNG', 146.99, -6.72], ['Suva', 'FJI', 178.44, -18.14]
]

export const FIRST_NAMES = [
  'Amina', 'Kwame', 'Chiara', 'Lars', 'Mei', 'Diego', 'Fatima', 'Tomasz', 'Aiko', 'Olusegun', 'Ingrid', 'Rahul', 'Sofia', 'Mateo', 'Zanele', 'Hiroshi',
  'Leila', 'Pierre', 'Ana', 'Jonas', 'Priya', 'Samuel', 'Elena', 'Yusuf', 'Marta', 'Kofi', 'Hannah', 'Luca', 'Nadia', 'Oscar', 'Thandiwe', 'Javier',
  'Emma', 'Arjun', 'Grace', 'Mohammed', 'Ewa', 'Daniel', 'Wanjiru', 'Matteo', 'Lucía', 'Noah', 'Linh', 'Stefan', 'Isabel', 'Tariq', 'Ayesha', 'Felipe',
  'Astrid', 'Chen', 'Joseph', 'Imani', 'Paolo', 'Sara', 'Ibrahim', 'Julia', 'Kenji', 'Mariana', 'Erik', 'Nomvula', 'Ravi', 'Claire', 'Ahmed', 'Lina'
]

export const LAST_NAMES = [
  'Okafor', 'Rossi', 'Andersen', 'Wang', 'García', 'Haddad', 'Kowalski', 'Tanaka', 'Mensah', 'Johansson', 'Sharma', 'Silva', 'Dlamini', 'Nakamura',
  'Benali', 'Dubois', 'Costa', 'Müller', 'Patel', 'Kamau', 'Ferrari', 'Lopez', 'Nguyen', 'Schmidt', 'Hassan', 'Novak', 'Owusu', 'Moreau', 'Santos',
  'Ivanova', 'Mwangi', 'Bianchi', 'Fernández', 'Khan', 'Larsen', 'Li', 'Adeyemi', 'Martin', 'Oliveira', 'Petrov', 'Osei', 'Romano', 'Torres', 'Suzuki',
  'Chowdhury', 'Fischer', 'Ndlovu', 'Kariuki', 'Eriksson', 'Bauer', 'Yilmaz', 'Pereira', 'Rahman', 'Gonzalez', 'Wójcik', 'Achieng', 'Colombo',
  'Mendes', 'Singh', 'Keller', 'Banda', 'Hoffmann', 'Ortiz', 'Sato'
]

export const ORGANIZATIONS = [
  'National Mapping Agency', 'Ministry of Environment', 'Water Resources Authority', 'Institute of Geosciences', 'City Planning Department',
  'Open Mapping Collective', 'Coastal Research Institute', 'Regional Climate Centre', 'Geological Survey', 'Agricultural Research Council',
  'National Statistics Office', 'Public Health Observatory', 'Forest Service', 'Disaster Management Agency', 'Transport Authority',
  'Energy Regulatory Commission', 'Environmental Protection Agency', 'Land Registry', 'Hydrological Service', 'Urban Observatory',
  'GeoData Consulting', 'Humanitarian Data Lab', 'Marine Institute', 'Soil Information Service', 'Remote Sensing Centre'
]

export const POSITIONS = [
  'GIS analyst', 'Data manager', 'Hydrologist', 'Remote sensing specialist', 'Field surveyor', 'Urban planner', 'Research scientist', 'Geologist',
  'Epidemiologist', 'Cartographer', 'Project officer', 'Database administrator', 'Agronomist', 'Ecologist', 'Information manager'
]

export const GROUP_SUBJECTS = [
  'Hydrology', 'Urban Planning', 'Disaster Risk', 'Agriculture', 'Forestry', 'Coastal', 'Public Health', 'Transport', 'Soil Survey', 'Climate',
  'Geology', 'Census', 'Biodiversity', 'Energy'
]
export const GROUP_UNITS = ['Field Team', 'Mapping Unit', 'Data Office', 'Working Group', 'Research Lab', 'Task Force', 'Observatory', 'GIS Unit']

export const SOURCES = [
  'Sentinel-2 imagery', 'Landsat 8 scenes', 'field surveys', 'the national census', 'OpenStreetMap', 'aerial photography', 'ministry records',
  'drone surveys', 'airborne LiDAR', 'partner NGO reports', 'GPS field campaigns', 'the national mapping agency'
]
export const PROJECTS = ['Resilient Cities', 'WaterNet', 'AgriWatch', 'Coastal Futures', 'OpenMaps for Development', 'HazardLab', 'GreenBelt', 'SoilGrids Plus']
export const PURPOSES = [
  'flood preparedness planning', 'land use planning', 'agricultural extension services', 'infrastructure investment decisions',
  'environmental impact assessments', 'emergency response', 'academic research', 'monitoring of development targets', 'public information'
]
export const NOTES = [
  'Data were validated against ground control points.', 'Values outside the study area are set to no-data.',
  'Some features may be incomplete in remote areas.', 'Coordinates were collected with handheld GPS receivers.',
  'Attribute names follow the national data model.', 'Classification accuracy was assessed on an independent sample.'
]
export const CONSTRAINTS = ['Attribution required.', 'Not for navigation.', 'Internal use only.']
export const FREQUENCIES = ['continual', 'daily', 'weekly', 'fortnightly', 'monthly', 'quarterly', 'biannually', 'annually', 'asNeeded', 'irregular', 'notPlanned', 'unknown']
export const DIRECTIONS = { north: 'Northern', south: 'Southern', east: 'Eastern', west: 'Western', centre: 'Central' }

/** [doc_type, weight, [extension, mime, weight][]] */
export const DOCUMENT_KINDS: [string, number, [string, string, number][]][] = [
  ['image', 30, [['jpg', 'image/jpeg', 7], ['png', 'image/png', 3]]],
  ['text', 35, [['pdf', 'application/pdf', 8], ['docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 2]]],
  ['presentation', 10, [['pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation', 3], ['odp', 'application/vnd.oasis.opendocument.presentation', 1]]],
  ['archive', 10, [['zip', 'application/zip', 1]]],
  ['other', 15, [['csv', 'text/csv', 2], ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 2]]]
]
