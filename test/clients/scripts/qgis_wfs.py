"""QGIS's WFS provider against the server: open a layer, report it as JSON, and optionally edit it.

usage: qgis_wfs.py URL TYPENAME VERSION USER PASSWORD [edit]
Prints one JSON object: valid, count, fields, crs, and with `edit` the outcome of an insert,
an attribute change, a geometry change and a delete through the provider (WFS-T).
"""
import json
import os
import sys

from qgis.core import QgsApplication, QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer, QgsVectorDataProvider

url, typename, version, user, password = sys.argv[1:6]
edit = len(sys.argv) > 6 and sys.argv[6] == 'edit'

app = QgsApplication([], False)
app.initQgis()

uri = f"url='{url}' typename='{typename}' version='{version}' user='{user}' password='{password}' restrictToRequestBBOX='0'"
layer = QgsVectorLayer(uri, 'wfs', 'WFS')
out = {'valid': layer.isValid()}
if layer.isValid():
    provider = layer.dataProvider()
    out['fields'] = [f.name() for f in layer.fields()]
    out['crs'] = layer.crs().authid()
    features = list(layer.getFeatures())
    out['read'] = len(features)
    out['count'] = layer.featureCount()
    caps = provider.capabilities()
    out['canAdd'] = bool(caps & QgsVectorDataProvider.AddFeatures)
    out['canChange'] = bool(caps & QgsVectorDataProvider.ChangeAttributeValues)
    out['canDelete'] = bool(caps & QgsVectorDataProvider.DeleteFeatures)
    if edit:
        fields = layer.fields()
        feature = QgsFeature(fields)
        extent = layer.extent()
        centre = extent.center()
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(centre.x(), centre.y())))
        feature.setAttribute('name', 'Added in QGIS')
        feature.setAttribute('pop', 4321)
        ok, added = provider.addFeatures([feature])
        out['added'] = ok
        out['addError'] = provider.lastError()
        new_id = added[0].id() if ok and added else None
        first = features[0]
        name_index = fields.indexFromName('name')
        out['changed'] = provider.changeAttributeValues({first.id(): {name_index: 'Renamed in QGIS'}})
        moved = QgsGeometry.fromPointXY(QgsPointXY(centre.x() + 1000, centre.y() + 1000))
        out['moved'] = provider.changeGeometryValues({first.id(): moved})
        out['deleted'] = provider.deleteFeatures([features[-1].id()])
        out['error'] = provider.lastError()
print(json.dumps(out), flush=True)
# QGIS may crash while tearing down headless; the answer is out, so leave at once.
os._exit(0)
