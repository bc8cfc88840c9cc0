import hashlib
import tracemalloc

from tiles.cache import CachedTile, TileCache


def test_lru_stays_within_its_byte_bound() -> None:
    cache = TileCache(max_bytes=3 * 1400)
    for i in range(10):
        cache.put(f"t{i}", CachedTile(b"x" * 1000, str(i)))
        assert cache.bytes <= cache.max_bytes
    assert len(cache) == 3
    assert cache.get("t0") is None and cache.get("t9") is not None


def test_recently_used_tiles_survive() -> None:
    cache = TileCache(max_bytes=2 * 1400)
    cache.put("a", CachedTile(b"a" * 1000, "a"))
    cache.put("b", CachedTile(b"b" * 1000, "b"))
    cache.get("a")
    cache.put("c", CachedTile(b"c" * 1000, "c"))
    assert cache.get("a") is not None and cache.get("b") is None


def test_a_tile_larger_than_the_cache_is_not_kept() -> None:
    cache = TileCache(max_bytes=100)
    cache.put("big", CachedTile(b"x" * 1000, "big"))
    assert len(cache) == 0 and cache.bytes == 0


def test_counted_bytes_cover_what_the_entries_really_take() -> None:
    """The byte bound is honest: every entry (empty tiles included) counts at least the memory it holds."""
    for body_size in (0, 40, 3000):
        cache = TileCache(max_bytes=10**9)
        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            for i in range(5000):
                key = f"buurt/14/{8400 + i}/{5400 + i}?year=2023&group=totaal&indicators=inwoners"
                body = b"x" * body_size + i.to_bytes(4, "little") if body_size else b""
                cache.put(key, CachedTile(body, hashlib.sha1(key.encode()).hexdigest()[:24]))
            held = tracemalloc.get_traced_memory()[0] - start
        finally:
            tracemalloc.stop()
        assert held <= cache.bytes <= 1.5 * held, (body_size, held, cache.bytes)
