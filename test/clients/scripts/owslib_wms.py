"""OWSLib's WebMapService at one version: contents, a GetMap and a GetFeatureInfo; prints one JSON line."""
import json
import sys

from owslib.wms import WebMapService

url, version, layer, bbox, point = sys.argv[1], sys.argv[2], sys.argv[3], [float(v) for v in sys.argv[4].split(',')], [int(v) for v in sys.argv[5].split(',')]
wms = WebMapService(url, version=version)
item = wms[layer]
image = wms.getmap(layers=[layer], styles=[''], srs='EPSG:4326', bbox=tuple(bbox), size=(256, 256), format='image/png', transparent=True)
png = image.read()
info = wms.getfeatureinfo(layers=[layer], styles=[''], srs='EPSG:4326', bbox=tuple(bbox), size=(256, 256), format='image/png', query_layers=[layer], info_format='application/json', xy=tuple(point), feature_count=5)
features = json.loads(info.read())['features']
print(json.dumps({
    'version': wms.identification.version,
    'layers': list(wms.contents),
    'title': item.title,
    'bbox': list(item.boundingBoxWGS84),
    'crs': list(item.crsOptions),
    'styles': list(item.styles),
    'operations': [op.name for op in wms.operations],
    'getmapUrl': wms.getOperationByName('GetMap').methods[0]['url'],
    'pngBytes': len(png),
    'pngSignature': png[:8].hex(),
    'features': [f['properties'] for f in features],
}))
