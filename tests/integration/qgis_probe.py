"""Open a layer in QGIS as the desktop does and ask its temporal filter what it keeps.

Run by Debian's ``/usr/bin/python3`` (QGIS's Python bindings), not by the project's
venv: ``python3 qgis_probe.py < request.json > answer.json``. The request is
``{"uri": ..., "days": ["YYYY-MM-DD", ...]}``, optionally with ``"by_hand": "fields"``
to replace the stored time settings by QGIS's start/end fields mode. The answer holds
the layer's state once its default style is loaded, its features in feature-id order
with their fill colours, whether a layer made by the plain constructor has time on,
and for each day the ids kept by the filter QGIS builds for a whole-day range and for
a one-day frame.
"""

import json
import os
import sys

#: The fields reported for each feature (a snapshot layer has no start or end).
COLUMNS = ("actor", "start", "end", "status")


def iso(value):
    """A Date attribute (QDate) as 'YYYY-MM-DD', NULL as None, anything else as text."""
    if value is None or (hasattr(value, "isNull") and value.isNull()):
        return None
    if hasattr(value, "toString"):  # a QDate
        return value.toString("yyyy-MM-dd")
    return str(value)


def probe(request):
    from qgis.core import (
        Qgis,
        QgsDateTimeRange,
        QgsExpressionContext,
        QgsExpressionContextUtils,
        QgsFeatureRequest,
        QgsSymbolLayer,
        QgsVectorLayer,
        QgsVectorLayerTemporalContext,
    )
    from qgis.PyQt.QtCore import QDate, QDateTime, QTime

    # What QGIS desktop does when a file is added (QgisApp::addVectorLayer): the layer
    # is created without its default style, which is then loaded explicitly.
    options = QgsVectorLayer.LayerOptions()
    options.loadDefaultStyle = False
    layer = QgsVectorLayer(request["uri"], "periods", "ogr", options)
    answer = {"valid": layer.isValid()}
    if not layer.isValid():
        return answer
    message, loaded = layer.loadDefaultStyle()
    props = layer.temporalProperties()
    if request.get("by_hand") == "fields":
        # What a user would set by hand: Separate Fields for Start and End Date/Time.
        props.setIsActive(True)
        props.setMode(Qgis.VectorTemporalMode.FeatureDateTimeStartAndEndFromFields)
        props.setStartField("start")
        props.setEndField("end")
        props.setLimitMode(Qgis.VectorTemporalLimitMode.IncludeBeginExcludeEnd)
    names = set(layer.fields().names())
    features = list(layer.getFeatures(QgsFeatureRequest().addOrderBy("$id")))
    # The fill colour the renderer gives each feature ("r,g,b,a"), when it has one.
    expression_context = QgsExpressionContext(
        QgsExpressionContextUtils.globalProjectLayerScopes(layer)
    )
    fill = None
    symbol = getattr(layer.renderer(), "symbol", lambda: None)()
    if symbol is not None:
        fill = (
            symbol.symbolLayer(0).dataDefinedProperties().property(QgsSymbolLayer.PropertyFillColor)
        )
    colours = []
    for feature in features:
        if fill is None or not fill.isActive():
            colours.append(None)
            continue
        expression_context.setFeature(feature)
        colour, ok = fill.valueAsColor(expression_context)
        colours.append(
            [colour.red(), colour.green(), colour.blue(), colour.alpha()] if ok else None
        )
    answer.update(
        style_loaded=loaded,
        style_message=message,
        temporal_active=props.isActive(),
        fields={f.name(): f.typeName() for f in layer.fields()},
        features=[
            [f.id(), *(iso(f[name]) if name in names else None for name in COLUMNS)]
            for f in features
        ],
        colours=colours,
        days={},
    )
    # A layer made as a script usually makes it, with the default style loaded by the
    # constructor itself.
    plain = QgsVectorLayer(request["uri"], "plain", "ogr")
    answer["plain_temporal_active"] = plain.temporalProperties().isActive()
    context = QgsVectorLayerTemporalContext()
    context.setLayer(layer)
    for text in request["days"]:
        day = QDate.fromString(text, "yyyy-MM-dd")
        midnight = QDateTime(day, QTime(0, 0))
        ranges = {
            # The whole day, both ends included (a date picked in the controller).
            "day": QgsDateTimeRange(midnight, QDateTime(day, QTime(23, 59, 59)), True, True),
            # One frame of a daily animation: [d, d+1).
            "frame": QgsDateTimeRange(midnight, midnight.addDays(1), True, False),
        }
        kept = {}
        for name, span in ranges.items():
            if not props.isVisibleInTemporalRange(span):
                kept[name] = []
                continue
            where = props.createFilterString(context, span)
            request_ = QgsFeatureRequest()
            if where:
                request_.setFilterExpression(where)
            ids = sorted(f.id() for f in layer.getFeatures(request_))
            kept[name] = ids
            kept[name + "_filter"] = where
        answer["days"][text] = kept
    return answer


def main():
    # Imported here, not at the top: pytest's doctest collection imports every module
    # under tests/ in the venv, which has no qgis module.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import Qgis, QgsApplication

    request = json.load(sys.stdin)
    app = QgsApplication([], False)
    app.initQgis()
    answer = probe(request)
    answer["qgis_version"] = Qgis.QGIS_VERSION
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()
    # QGIS 3.22 may crash while tearing down (exitQgis, or the destructors at exit):
    # leave at once, the answer is written.
    os._exit(0)


if __name__ == "__main__":
    main()
