"""Vector tiles: tile math, generalisation, MVT encoding, caching, TileJSON."""
