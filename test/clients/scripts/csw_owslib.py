"""OWSLib's CatalogueServiceWeb against a CSW, as QGIS MetaSearch drives it.

Usage: csw_owslib.py URL WORD MINX MINY MAXX MAXY UUID
Prints one JSON object: the service identification, the matches of a PropertyIsLike on
csw:AnyText, of a BBOX (latitude first in urn:ogc:def:crs:EPSG::4326, as MetaSearch sends it), of
both together, and the ISO record of UUID as OWSLib's MD_Metadata reads it.
"""
import json
import sys
import warnings

from owslib.csw import CatalogueServiceWeb
from owslib.fes import BBox, PropertyIsLike

warnings.simplefilter('ignore')
url, word, minx, miny, maxx, maxy, uuid = sys.argv[1:8]
csw = CatalogueServiceWeb(url)
like = PropertyIsLike('csw:AnyText', '%' + word + '%')
box = BBox([miny, minx, maxy, maxx], crs='urn:ogc:def:crs:EPSG::4326')


def search(constraints):
    found, start = [], 0
    while True:
        csw.getrecords2(constraints=constraints, maxrecords=10, startposition=start, esn='full')
        found += [r.identifier for r in csw.records.values()]
        if csw.results['nextrecord'] in (0, None) or csw.results['nextrecord'] > csw.results['matches']:
            return {'matches': csw.results['matches'], 'ids': sorted(found)}
        start = csw.results['nextrecord']


report = {
    'type': csw.identification.type,
    'version': csw.version,
    'operations': [o.name for o in csw.operations],
    'like': search([like]),
    'bbox': search([box]),
    'both': search([[like, box]]),
}
csw.getrecordbyid(id=[uuid], outputschema='http://www.isotc211.org/2005/gmd', esn='full')
md = csw.records[uuid]
ident = md.identification
report['iso'] = {
    'class': type(md).__name__,
    'identifier': md.identifier,
    'title': ident.title,
    'keywords': sorted(k for group in ident.keywords for k in group['keywords']),
    'bbox': [float(ident.bbox.minx), float(ident.bbox.miny), float(ident.bbox.maxx), float(ident.bbox.maxy)] if ident.bbox else None,
    'online': [[o.protocol, o.name, o.url] for o in md.distribution.online],
}
print(json.dumps(report))
