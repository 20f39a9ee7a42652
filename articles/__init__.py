"""The article bundled with newsbot (shipped in the wheel): `bot serve` and `bot chat` ingest it into an empty index."""
