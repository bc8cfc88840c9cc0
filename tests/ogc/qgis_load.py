"""Loads an OGC API Features collection with QGIS's OAPIF provider and prints what QGIS read, as JSON.
Run with Debian's /usr/bin/python3 (python3-qgis): qgis_load.py BASE_URL COLLECTION CODE PAGE_SIZE"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsFeatureRequest, QgsVectorLayer

base, collection, code, page_size = sys.argv[1:5]
app = QgsApplication([], False)
app.initQgis()
layer = QgsVectorLayer(f"url='{base}/ogc' typename='{collection}' pageSize='{page_size}'", collection, "OAPIF")
result = {"valid": layer.isValid()}
if layer.isValid():
    codes, wanted = [], None
    for feature in layer.getFeatures(QgsFeatureRequest()):
        codes.append(feature["code"])
        if feature["code"] == code:
            wanted = {f.name(): (None if feature[f.name()] is None or str(feature[f.name()]) == "NULL" else feature[f.name()])
                      for f in layer.fields()}
    result.update(
        feature_count=layer.featureCount(),
        codes=codes,
        crs=layer.crs().authid(),
        fields={f.name(): f.typeName() for f in layer.fields()},
        feature=wanted,
    )
print(json.dumps(result, default=str), flush=True)
# exitQgis() after an OAPIF layer crashes QGIS 3.22 (SIGSEGV); the answer is out, so leave at once
os._exit(0)
