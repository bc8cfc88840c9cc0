"""Our layer encoder against mapbox-vector-tile's decoder: what goes in comes out."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from tiles.encode import TileLayer, encode_tile
from tiles.kernels import label_streams
from tiles.mvt import POINT, POLYGON, command, polygon_commands, zigzag


def decode_polygons(body: bytes, layer: str) -> list[shapely.Geometry]:
    decoded = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
    return [shapely.geometry.shape(f["geometry"]) for f in decoded[layer]["features"]]


@st.composite
def grid_polygons(draw: st.DrawFn) -> shapely.Geometry:
    """Valid (multi)polygons with holes on the integer grid, oriented as the spec wants."""
    boxes = []
    for _ in range(draw(st.integers(1, 3))):
        x = draw(st.integers(-64, 3900))
        y = draw(st.integers(-64, 3900))
        w = draw(st.integers(8, 200))
        h = draw(st.integers(8, 200))
        outer = shapely.box(x, y, x + w, y + h)
        if draw(st.booleans()) and w > 20 and h > 20:
            outer = outer.difference(shapely.box(x + 5, y + 5, x + w - 5, y + h - 5))
        boxes.append(outer)
    geom = shapely.union_all(boxes)
    return shapely.orient_polygons(geom, exterior_cw=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(grid_polygons(), min_size=1, max_size=6))
def test_polygons_round_trip(geoms: list[shapely.Geometry]) -> None:
    layer = TileLayer.of_columns("t", {"i": np.arange(len(geoms))}, list(range(len(geoms))), POLYGON, polygon_commands(np.array(geoms, dtype=object)))
    decoded = decode_polygons(encode_tile([layer], 4096), "t")
    assert len(decoded) == len(geoms)
    for original, back in zip(geoms, decoded):
        assert back.normalize().equals_exact(original.normalize(), 0), (original, back)


def test_repeated_points_and_closing_point_are_not_encoded() -> None:
    square = shapely.Polygon([(0, 0), (0, 10), (0, 10), (10, 10), (10, 0), (0, 0)])
    square = shapely.orient_polygons(square, exterior_cw=False)
    layer = TileLayer.of_columns("t", {}, [1], POLYGON, polygon_commands(np.array([square], dtype=object)))
    body = encode_tile([layer], 4096)
    [feature] = mapbox_vector_tile.decode(body)["t"]["features"]
    ring = feature["geometry"]["coordinates"][0]
    assert len(ring) == 5  # 4 corners + the decoder's closing point


def test_attributes_keep_their_types_and_are_stored_once() -> None:
    columns = {
        "code": np.array(["BU03440111", "BU03440112"], dtype=object),
        "n": np.array([1810, 1810], dtype=object),
        "p": np.array([14.1, 14.1], dtype=object),
        "neg": np.array([-3, -3], dtype=object),
        "status": np.array([None, "withheld"], dtype=object),
    }
    geoms = np.array([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)], dtype=object)
    body = encode_tile([TileLayer.of_columns("t", columns, [1, 2], POLYGON, polygon_commands(shapely.orient_polygons(geoms)))], 4096)
    features = mapbox_vector_tile.decode(body)["t"]["features"]
    assert [f["properties"] for f in features] == [
        {"code": "BU03440111", "n": 1810, "p": 14.1, "neg": -3},
        {"code": "BU03440112", "n": 1810, "p": 14.1, "neg": -3, "status": "withheld"},
    ]
    assert [f["id"] for f in features] == [1, 2]
    from mapbox_vector_tile.Mapbox import vector_tile_pb2

    tile = vector_tile_pb2.tile()
    tile.ParseFromString(body)
    assert len(tile.layers[0].values) == 6  # two codes, 1810, 14.1, -3, "withheld"
    assert tile.layers[0].version == 2 and tile.layers[0].extent == 4096


def test_value_table_holds_any_string_bool_and_mixed_numbers() -> None:
    long_name = "Buurt " + "ë" * 150  # 306 bytes in UTF-8: sizes past one varint byte
    columns = {
        "name": np.array(["Mariëndaal", long_name, "", "Oog in Al"], dtype=object),
        "flag": np.array([True, False, True, None], dtype=object),
        "mixed": np.array([1, 1, 2.5, -2**40], dtype=object),
        "share": np.array([1.0, None, None, None], dtype=object),
        "same_as_name": np.array(["Oog in Al", None, None, "Mariëndaal"], dtype=object),
    }
    geoms = shapely.orient_polygons(np.array([shapely.box(i * 20, 0, i * 20 + 10, 10) for i in range(4)], dtype=object))
    body = encode_tile([TileLayer.of_columns("t", columns, [1, 2, 3, 4], POLYGON, polygon_commands(geoms))], 4096)
    decoded = [f["properties"] for f in mapbox_vector_tile.decode(body)["t"]["features"]]
    assert decoded == [
        {"name": "Mariëndaal", "flag": True, "mixed": 1, "share": 1.0, "same_as_name": "Oog in Al"},
        {"name": long_name, "flag": False, "mixed": 1},
        {"name": "", "flag": True, "mixed": 2.5},
        {"name": "Oog in Al", "mixed": -2**40, "same_as_name": "Mariëndaal"},
    ]
    assert type(decoded[0]["mixed"]) is int and type(decoded[0]["share"]) is float  # 1 and 1.0 stay apart
    from mapbox_vector_tile.Mapbox import vector_tile_pb2

    tile = vector_tile_pb2.tile()
    tile.ParseFromString(body)
    assert len(tile.layers[0].values) == 4 + 2 + 4  # names shared by both keys; True, False; 1, -2^40, 2.5, 1.0


def test_points_and_empty_layers() -> None:
    # World coordinates of a tile spanning 0..4096 (y up): the last two fall on its right and bottom edges,
    # the tile's neighbours' (label points of the buffer are left out, or they would be drawn twice).
    xy = np.array([[5.0, 4089.0], [4095.4, 0.6], [4095.6, 100.0], [10.0, 0.4]])
    commands, lengths, inside = label_streams(xy, np.arange(4), 0.0, 4096.0, 1.0, 4096)
    assert inside.tolist() == [True, True, False, False]
    points = TileLayer.of_columns("p", {"code": np.array(["a", "b"], dtype=object)}, [1, 2], POINT, (commands, lengths))
    empty = TileLayer.of_columns("e", {}, [1], POLYGON, polygon_commands(np.array([shapely.Polygon()], dtype=object)))
    decoded = mapbox_vector_tile.decode(encode_tile([points, empty], 4096), default_options={"y_coord_down": True})
    assert "e" not in decoded
    assert [f["geometry"]["coordinates"] for f in decoded["p"]["features"]] == [[5, 7], [4095, 4095]]
    assert encode_tile([empty], 4096) == b""


def test_command_and_zigzag_follow_the_spec() -> None:
    assert command(1, 1) == 9 and command(2, 3) == 26 and command(7, 1) == 15  # spec 4.3.1 examples
    assert zigzag(np.array([0, -1, 1, -2, 2], dtype=np.int64)).tolist() == [0, 1, 2, 3, 4]


@given(st.lists(st.integers(min_value=0, max_value=2**63 - 1), min_size=1, max_size=20))
def test_varints_are_protobufs(values: list[int]) -> None:
    from mapbox_vector_tile.Mapbox import vector_tile_pb2

    from tiles.mvt import varints

    expected = b""
    for v in values:
        value = vector_tile_pb2.tile.value()
        value.uint_value = v
        expected += value.SerializeToString()[1:]  # drop the field key byte
    assert varints(np.array(values, dtype=np.int64)).tobytes() == expected


def test_layer_bytes_equal_protobufs_own_encoding() -> None:
    """Parse our tile with protobuf and serialise it again: the same features, tags and geometry."""
    from mapbox_vector_tile.Mapbox import vector_tile_pb2

    geoms = shapely.orient_polygons(
        np.array([shapely.box(0, 0, 300, 200), shapely.Polygon(), shapely.box(-64, 4000, 4160, 4160)], dtype=object),
        exterior_cw=False,
    )
    columns = {"code": np.array(["BU03440111", "x", "BU03441011"], dtype=object), "v": np.array([None, 1, 2.5], dtype=object)}
    body = encode_tile([TileLayer.of_columns("buurt", columns, [3440111, 7, 99999999], POLYGON, polygon_commands(geoms))], 4096)
    tile = vector_tile_pb2.tile()
    tile.ParseFromString(body)
    [layer] = tile.layers
    assert [f.id for f in layer.features] == [3440111, 99999999]  # the empty geometry is left out
    assert [list(f.tags) for f in layer.features] == [[0, 0], [0, 2, 1, 4]]  # values: 3 codes, then 1 and 2.5
    assert [f.geometry[0] for f in layer.features] == [command(1, 1)] * 2 and [f.type for f in layer.features] == [3, 3]
    # Byte for byte what protobuf itself writes for these features.
    from tiles.mvt import varint

    expected = b"".join(b"\x12" + varint(f.ByteSize()) + f.SerializeToString() for f in layer.features)
    assert body.endswith(expected)


def test_ring_whose_last_point_rounds_onto_its_first_is_closed_once() -> None:
    # The 4th point sits on the first: ClosePath must do the closing, not a repeated point.
    ring = shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 0), (0, 0), (0, 0)])
    loop = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)])
    coords = shapely.get_coordinates(loop)
    tricky = shapely.from_ragged_array(shapely.GeometryType.POLYGON, np.r_[coords[:-1], coords[:1], coords[:1]], (np.array([0, 6]), np.array([0, 1])))[0]
    for geom in (ring, tricky):
        from tiles.mvt import polygon_commands

        commands, lengths = polygon_commands(np.array([geom], dtype=object))
        assert commands[3] == command(2, 3) and lengths[0] == 2 * 4 + 3  # MoveTo + 3 LineTo + ClosePath


def test_keys_without_values_are_left_out_and_values_are_shared() -> None:
    from mapbox_vector_tile.Mapbox import vector_tile_pb2

    columns = {
        "a": np.array([2023, 2023], dtype=object),
        "never": np.array([None, None], dtype=object),
        "b": np.array([2023, 2023.5], dtype=object),
    }
    geoms = shapely.orient_polygons(np.array([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)], dtype=object))
    tile = vector_tile_pb2.tile()
    tile.ParseFromString(encode_tile([TileLayer.of_columns("t", columns, [1, 2], POLYGON, polygon_commands(geoms))], 4096))
    layer = tile.layers[0]
    assert list(layer.keys) == ["a", "b"]
    assert len(layer.values) == 2  # 2023 once for both keys, and 2023.5
    decoded = mapbox_vector_tile.decode(tile.SerializeToString())["t"]["features"]
    assert [f["properties"] for f in decoded] == [{"a": 2023, "b": 2023}, {"a": 2023, "b": 2023.5}]


def test_long_features_large_ids_and_many_keys_equal_protobufs_own_encoding() -> None:
    """Sizes and ids of several varint bytes, values shared across keys, keys a feature lacks: byte for
    byte what protobuf writes for the features it parsed from our layer."""
    from mapbox_vector_tile.Mapbox import vector_tile_pb2

    angles = np.linspace(0, 2 * np.pi, 3000, endpoint=False)
    circle = shapely.Polygon(np.column_stack((2048 + 2000 * np.cos(angles), 2048 - 2000 * np.sin(angles))).round())
    geoms = shapely.orient_polygons(np.array([circle, shapely.box(0, 0, 5, 5), shapely.box(10, 10, 20, 20)], dtype=object))
    columns = {f"k{i}": np.array([i % 7, None if i % 2 else "x", float(i) + 0.5], dtype=object) for i in range(200)}
    ids = [2**40 + 3, 0, 2**21]
    body = encode_tile([TileLayer.of_columns("t", columns, ids, POLYGON, polygon_commands(geoms))], 4096)
    tile = vector_tile_pb2.tile()
    tile.ParseFromString(body)
    [layer] = tile.layers
    assert [f.id for f in layer.features] == ids and len(layer.keys) == 200
    assert len(layer.features[1].tags) == 200 and len(layer.features[0].geometry) > 5000
    decoded = mapbox_vector_tile.decode(body)["t"]["features"]
    assert decoded[2]["properties"]["k199"] == 199.5 and decoded[0]["properties"]["k8"] == 1
    from tiles.mvt import varint

    expected = b"".join(b"\x12" + varint(f.ByteSize()) + f.SerializeToString() for f in layer.features)
    assert body.endswith(expected)
