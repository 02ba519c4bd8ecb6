"""Loads SLD documents into QGIS the way the GeoNode plugin does (QDomDocument, then readSld of the
NamedLayer) and with loadSldStyle; prints one JSON line per file: whether each worked and the renderer."""
import json
import sys

from qgis.core import QgsApplication, QgsVectorLayer
from qgis.PyQt.QtXml import QDomDocument

app = QgsApplication([], False)
app.initQgis()
out = []
for arg in sys.argv[1:]:
    path, geometry = arg.split('=')
    with open(path, 'rb') as f:
        raw = f.read()
    layer = QgsVectorLayer(f'{geometry}?crs=EPSG:4326', 'l', 'memory')
    doc = QDomDocument()
    parsed = doc.setContent(raw, True)
    named = doc.documentElement().firstChildElement('NamedLayer')
    ok_dom = False
    dom_error = ''
    if parsed[0] and not named.isNull():
        ok_dom = layer.readSld(named, dom_error)
    layer2 = QgsVectorLayer(f'{geometry}?crs=EPSG:4326', 'l', 'memory')
    message, ok_file = layer2.loadSldStyle(path)
    renderer = layer.renderer()
    out.append({'file': path, 'geometry': geometry, 'parsed': parsed[0], 'readSld': bool(ok_dom), 'loadSldStyle': ok_file, 'message': message, 'renderer': renderer.type() if renderer else None, 'dump': renderer.dump()[:300] if renderer else ''})
print(json.dumps(out))
app.exitQgis()
