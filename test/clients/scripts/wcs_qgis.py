"""QGIS's WCS provider, headless: opens a coverage and reports what QGIS sees.

Usage: wcs_qgis.py URL IDENTIFIER VERSION PIXELS_JSON
PIXELS_JSON is a list of [column, row] to read from band 1. Prints one JSON object.
"""
import json
import os
import sys

from qgis.core import QgsApplication, QgsDataSourceUri, QgsRasterLayer

url, identifier, version, pixels = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
app = QgsApplication([], False)
app.initQgis()
uri = QgsDataSourceUri()
uri.setParam('url', url)
uri.setParam('identifier', identifier)
uri.setParam('version', version)
uri.setParam('cache', 'AlwaysNetwork')
layer = QgsRasterLayer(str(uri.encodedUri(), 'utf-8'), 'coverage', 'wcs')
report = {'valid': layer.isValid()}
if layer.isValid():
    provider = layer.dataProvider()
    extent = layer.extent()
    block = provider.block(1, extent, layer.width(), layer.height())
    report.update(
        width=layer.width(),
        height=layer.height(),
        bands=layer.bandCount(),
        crs=layer.crs().authid(),
        dataType=int(provider.dataType(1)),
        extent=[extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()],
        values=[None if block.isNoData(row, col) else block.value(row, col) for col, row in pixels],
    )
else:
    report['error'] = layer.error().summary()
print(json.dumps(report), flush=True)
# QGIS's teardown may fail in a headless run after the work is done; the report is what counts.
os._exit(0 if report['valid'] else 3)
