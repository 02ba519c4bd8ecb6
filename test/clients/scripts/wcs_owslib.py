"""OWSLib's WebCoverageService against a WCS: the coverages it lists and a GetCoverage saved to a file.

Usage: wcs_owslib.py URL VERSION COVERAGE_ID OUT_FILE [subset...]
A subset is AXIS,LOW,HIGH (2.0.1) or, for 1.0.0, CRS,MINX,MINY,MAXX,MAXY,WIDTH,HEIGHT.
Prints one JSON object.
"""
import json
import sys

from owslib.wcs import WebCoverageService

url, version, coverage_id, out_file = sys.argv[1:5]
extra = sys.argv[5:]
wcs = WebCoverageService(url, version=version)
listed = sorted(wcs.contents.keys())
if version == '1.0.0':
    crs, minx, miny, maxx, maxy, width, height = extra[0].split(',')
    answer = wcs.getCoverage(identifier=coverage_id, bbox=(float(minx), float(miny), float(maxx), float(maxy)), crs=crs,
                             format='GeoTIFF', width=int(width), height=int(height))
else:
    subsets = [(axis, float(low), float(high)) for axis, low, high in (s.split(',') for s in extra)]
    answer = wcs.getCoverage(identifier=[coverage_id], format='image/tiff', subsets=subsets or None)
data = answer.read()
with open(out_file, 'wb') as f:
    f.write(data)
grid = wcs.contents[coverage_id].grid if version == '2.0.1' else None
print(json.dumps({
    'coverages': listed,
    'bytes': len(data),
    'gridHigh': [int(v) for v in grid.highlimits] if grid is not None else None,
}))
