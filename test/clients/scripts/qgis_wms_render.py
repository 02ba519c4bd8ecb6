"""Renders a layer through QGIS's WMS provider headless; prints one JSON line: validity, CRS, size and the colours seen."""
import json
import sys

from qgis.core import QgsApplication, QgsMapRendererParallelJob, QgsMapSettings, QgsRasterLayer, QgsRectangle
from qgis.PyQt.QtCore import QSize

url, layer_name, bbox, version = sys.argv[1], sys.argv[2], [float(v) for v in sys.argv[3].split(',')], sys.argv[4]
app = QgsApplication([], False)
app.initQgis()
uri = f'url={url}&layers={layer_name}&crs=EPSG:4326&format=image/png&styles=&version={version}'
layer = QgsRasterLayer(uri, 'wms', 'wms')
result = {'valid': layer.isValid(), 'error': layer.error().summary() if not layer.isValid() else ''}
if layer.isValid():
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(QgsRectangle(*bbox))
    settings.setOutputSize(QSize(200, 200))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    colours = {}
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            key = '#%02x%02x%02x' % (c.red(), c.green(), c.blue())
            colours[key] = colours.get(key, 0) + 1
    result.update({'crs': layer.crs().authid(), 'width': image.width(), 'height': image.height(), 'colours': colours, 'extent': layer.extent().toString()})
print(json.dumps(result))
app.exitQgis()
