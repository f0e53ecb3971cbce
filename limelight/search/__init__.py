"""Vector indexes over catalogs: storage, exact and HNSW search, incremental updates."""
