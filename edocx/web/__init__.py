"""The HTTP API of the hub (the only package that imports aiohttp.web)."""
