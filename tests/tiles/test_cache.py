from tiles.cache import CachedTile, TileCache


def test_lru_stays_within_its_byte_bound() -> None:
    cache = TileCache(max_bytes=3 * 1200)
    for i in range(10):
        cache.put(i, CachedTile(b"x" * 1000, str(i)))
        assert cache.bytes <= cache.max_bytes
    assert len(cache) == 3
    assert cache.get(0) is None and cache.get(9) is not None


def test_recently_used_tiles_survive() -> None:
    cache = TileCache(max_bytes=2 * 1200)
    cache.put("a", CachedTile(b"a" * 1000, "a"))
    cache.put("b", CachedTile(b"b" * 1000, "b"))
    cache.get("a")
    cache.put("c", CachedTile(b"c" * 1000, "c"))
    assert cache.get("a") is not None and cache.get("b") is None


def test_a_tile_larger_than_the_cache_is_not_kept() -> None:
    cache = TileCache(max_bytes=100)
    cache.put("big", CachedTile(b"x" * 1000, "big"))
    assert len(cache) == 0 and cache.bytes == 0
