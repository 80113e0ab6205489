"""The QGIS layer style written with every export of periods, so time works on opening.

QGIS reads a layer's default style from a GeoPackage's ``layer_styles`` table (the row
with ``useAsDefault``) and, for a file such as ``is.geojson``, from ``is.qml`` beside
it. The style sets the layer's temporal properties so that the Temporal Controller
shows exactly the periods held on each day, open periods included, with no setup.

Why expressions and not QGIS's "start and end fields" mode: QGIS 3.22 compares a
GeoPackage Date field with a date-time so that every period shows one day early, and
GDAL cannot evaluate the ``"end" IS NULL`` test on GeoJSON text, so every open period
vanishes. Converting each field with ``to_datetime`` and giving an open end a far
future date works on both (checked on every change date by
``tests/integration/test_qgis.py``, which drives QGIS itself).

Periods are half-open (``start`` inclusive, ``end`` exclusive), hence the limit mode
"include beginning, exclude end" (``limitMode="0"``).

The style also colours each feature by its actor (a hue from the MD5 of the name,
computed by QGIS, the same for an actor in every export) and draws statuses other than
``control`` lighter. The text is a fixed template naming controlmap's own fields
(``actor``, ``start``, ``end``, ``status``): no value from the data is ever written
into it. The template was taken from what QGIS 3.22 writes with ``saveNamedStyle``
for these settings.

Snapshots (one date) get no style: they need no temporal setup.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._atomic import atomic_output
from .errors import OutputError, one_line

__all__ = ["QML", "add_gpkg_style", "styled_output"]

#: The name of the layer of periods, in a GeoPackage and in the writers' layer dicts.
PERIODS_LAYER = "periods"
#: The geometry column fiona gives a GeoPackage layer.
GPKG_GEOMETRY = "geom"

# Hue 0-360 from the first two hex digits of the MD5 of the actor's name.
_HUE = (
    "((strpos('0123456789abcdef', substr(md5(&quot;actor&quot;), 1, 1)) - 1) * 16"
    " + strpos('0123456789abcdef', substr(md5(&quot;actor&quot;), 2, 1)) - 1) * 360 / 256"
)
_FILL = (
    f"with_variable('hue', {_HUE}, "
    "color_hsla(@hue, 70, 50, if(&quot;status&quot; = 'control', 170, 80)))"
)
_OUTLINE = f"with_variable('hue', {_HUE}, color_hsl(@hue, 70, 30))"

#: The QML document (QGIS 3.22 layer style): temporal properties and symbology.
QML = f"""<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis styleCategories="Symbology|Temporal" version="3.22.16-Białowieża">
 <temporal enabled="1" mode="4" limitMode="0" accumulate="0"
  startExpression="to_datetime(&quot;start&quot;)"
  endExpression="coalesce(to_datetime(&quot;end&quot;), make_datetime(9999,12,31,0,0,0))"
  startField="start" endField="end" durationField="" durationUnit="min" fixedDuration="0">
  <fixedRange>
   <start></start>
   <end></end>
  </fixedRange>
 </temporal>
 <renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" referencescale="-1"
  enableorderby="0">
  <symbols>
   <symbol alpha="1" type="fill" force_rhr="0" clip_to_extent="1" name="0">
    <data_defined_properties>
     <Option type="Map">
      <Option type="QString" value="" name="name"/>
      <Option name="properties"/>
      <Option type="QString" value="collection" name="type"/>
     </Option>
    </data_defined_properties>
    <layer enabled="1" class="SimpleFill" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" value="3x:0,0,0,0,0,0" name="border_width_map_unit_scale"/>
      <Option type="QString" value="128,128,128,170" name="color"/>
      <Option type="QString" value="bevel" name="joinstyle"/>
      <Option type="QString" value="0,0" name="offset"/>
      <Option type="QString" value="3x:0,0,0,0,0,0" name="offset_map_unit_scale"/>
      <Option type="QString" value="MM" name="offset_unit"/>
      <Option type="QString" value="64,64,64,255" name="outline_color"/>
      <Option type="QString" value="solid" name="outline_style"/>
      <Option type="QString" value="0.3" name="outline_width"/>
      <Option type="QString" value="MM" name="outline_width_unit"/>
      <Option type="QString" value="solid" name="style"/>
     </Option>
     <data_defined_properties>
      <Option type="Map">
       <Option type="QString" value="" name="name"/>
       <Option type="Map" name="properties">
        <Option type="Map" name="fillColor">
         <Option type="bool" value="true" name="active"/>
         <Option type="QString" value="{_FILL}" name="expression"/>
         <Option type="int" value="3" name="type"/>
        </Option>
        <Option type="Map" name="outlineColor">
         <Option type="bool" value="true" name="active"/>
         <Option type="QString" value="{_OUTLINE}" name="expression"/>
         <Option type="int" value="3" name="type"/>
        </Option>
       </Option>
       <Option type="QString" value="collection" name="type"/>
      </Option>
     </data_defined_properties>
    </layer>
   </symbol>
  </symbols>
  <rotation/>
  <sizescale/>
 </renderer-v2>
 <blendMode>0</blendMode>
 <featureBlendMode>0</featureBlendMode>
 <layerGeometryType>2</layerGeometryType>
</qgis>
"""


@contextlib.contextmanager
def styled_output(target: Path, kind: str, layers: dict[str, Any]) -> Iterator[Path]:
    """:func:`~controlmap._atomic.atomic_output`, with the QGIS style added to periods.

    A GeoPackage with a ``periods`` layer gets the style in its ``layer_styles`` table,
    inside the temporary file. A GeoJSON file of periods gets ``<name>.qml`` beside it:
    the sidecar is written once the data file is complete and moved into place right
    after it, so a failed write leaves no new sidecar and an existing one is replaced
    only by a complete one. Anything else is written as it is.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "is.geojson"
    >>> with styled_output(target, "GeoJSON", {"periods": None}) as temporary:
    ...     _ = temporary.write_text("{}")
    >>> sorted(p.name for p in target.parent.iterdir())
    ['is.geojson', 'is.qml']
    """
    if PERIODS_LAYER not in layers or kind not in ("GeoJSON", "GPKG"):
        with atomic_output(target) as temporary:
            yield temporary
    elif kind == "GPKG":
        with atomic_output(target) as temporary:
            yield temporary
            add_gpkg_style(temporary, target)
    else:
        sidecar = target.with_suffix(".qml")
        with atomic_output(sidecar) as style, atomic_output(target) as temporary:
            yield temporary
            try:
                style.write_text(QML, encoding="utf-8")
            except OSError as exc:
                raise OutputError(f"{sidecar}: cannot write: {exc.strerror or exc}") from None


def add_gpkg_style(path: Path, target: Path | None = None) -> None:
    """Store :data:`QML` as the default style of the ``periods`` layer of a GeoPackage.

    The ``layer_styles`` table is the one QGIS creates when it saves a style in a
    GeoPackage (the same columns, ``id`` as its key), written through GDAL so the file
    stays a valid GeoPackage. ``target`` is the file named in an error (``path`` when
    omitted).

    Examples
    --------
    >>> import controlmap, tempfile, pathlib, pyogrio
    >>> out = controlmap.load_dataset("islamic-state").to_file(
    ...     pathlib.Path(tempfile.mkdtemp()) / "is.gpkg")
    >>> [name for name, _ in pyogrio.list_layers(out)]
    ['periods', 'layer_styles']
    """
    import fiona

    text = "str"
    schema = {
        "geometry": "None",  # the string: an attribute table, not a layer of geometries
        "properties": {
            "f_table_catalog": "str:256",
            "f_table_schema": "str:256",
            "f_table_name": "str:256",
            "f_geometry_column": "str:256",
            "styleName": "str:30",
            "styleQML": text,
            "styleSLD": text,
            "useAsDefault": "bool",
            "description": text,
            "owner": "str:30",
            "ui": "str:30",
            "update_time": "datetime",
        },
    }
    row = {
        # QGIS looks the default style up with f_table_schema = '' (not NULL).
        "f_table_catalog": "",
        "f_table_schema": "",
        "f_table_name": PERIODS_LAYER,
        "f_geometry_column": GPKG_GEOMETRY,
        "styleName": "controlmap",
        "styleQML": QML,
        "styleSLD": "",
        "useAsDefault": True,
        "description": "controlmap: time (start inclusive, end exclusive), colour by actor",
        "owner": "",
        "ui": None,
        "update_time": _dt.datetime.now(_dt.UTC).replace(microsecond=0, tzinfo=None).isoformat(),
    }
    try:
        with fiona.open(
            path, "w", driver="GPKG", layer="layer_styles", schema=schema, FID="id"
        ) as sink:
            sink.write({"geometry": None, "properties": row})
    except Exception as exc:  # fiona raises many types; all mean the same here
        reason = one_line(exc)
        raise OutputError(f"{target or path}: cannot store the QGIS style: {reason}") from None
