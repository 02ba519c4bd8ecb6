"""OWSLib's WebFeatureService against the server: contents, schema and a GetFeature per version.

usage: owslib_wfs.py URL TYPENAME
Prints one JSON object per version (1.1.0, 2.0.0): the layers listed, the schema's properties,
the features a GetFeature returned (GeoJSON) and the GML feature count.
"""
import json
import sys

from owslib.wfs import WebFeatureService

url, typename = sys.argv[1:3]
report = {}
for version in ('1.1.0', '2.0.0'):
    wfs = WebFeatureService(url, version=version)
    entry = {'version': wfs.version, 'layers': list(wfs.contents), 'operations': [op.name for op in wfs.operations]}
    schema = wfs.get_schema(typename)
    entry['properties'] = sorted(schema['properties'].keys())
    entry['geometry'] = schema.get('geometry')
    response = wfs.getfeature(typename=[typename], outputFormat='application/json')
    data = json.loads(response.read())
    entry['features'] = len(data['features'])
    entry['names'] = sorted(f['properties'].get('name') for f in data['features'])
    gml = wfs.getfeature(typename=[typename], maxfeatures=2).read()
    gml = gml.decode() if isinstance(gml, bytes) else gml
    entry['gmlMembers'] = gml.count('<wfs:member>') + gml.count('<gml:featureMember>')
    report[version] = entry
print(json.dumps(report))
