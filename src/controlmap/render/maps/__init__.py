"""Web pages (folium/Leaflet), one module per kind of map; none imports matplotlib.

- :mod:`.timeline`: the time-slider map of every change date;
- :mod:`.snapshot`: what each actor held on one date;
- :mod:`.changes`: the ground gained, lost and kept between two dates;
- :mod:`.fighters`: the foreign-fighter flows as proportional circles;
- :mod:`._leaflet`: what they share (the Leaflet-only page, its data, the base map).
"""
