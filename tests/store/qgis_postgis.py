"""Opens a published view with QGIS's postgres provider and prints what QGIS read, as JSON.
Run with Debian's /usr/bin/python3 (python3-qgis): qgis_postgis.py CONNINFO SCHEMA VIEW CODE"""

import json
import os
import sys

from qgis.core import QgsApplication, QgsVectorLayer

conninfo, schema, view, code = sys.argv[1:5]
app = QgsApplication([], False)
app.initQgis()
layer = QgsVectorLayer(f"{conninfo} key='code' table=\"{schema}\".\"{view}\" (geometry)", "view", "postgres")  # a view needs its key named
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
os._exit(0)  # as tests/ogc/qgis_load.py: leave without exitQgis()
