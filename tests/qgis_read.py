"""Reads a layer with one of QGIS's providers and prints what QGIS read, as JSON: validity, feature count,
every code, CRS, field types and the attributes of one region. Run with Debian's /usr/bin/python3
(python3-qgis): qgis_read.py PROVIDER URI CODE, e.g. OAPIF "url='.../ogc' typename='buurt_2023'"."""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsVectorLayer

provider, uri, code = sys.argv[1:4]
app = QgsApplication([], False)
app.initQgis()
layer = QgsVectorLayer(uri, "layer", provider)
result = {"valid": layer.isValid()}
if layer.isValid():
    codes, wanted = [], None
    for feature in layer.getFeatures():
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
