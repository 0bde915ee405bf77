"""The dashboard: campaigns, calls and compliance runs read live from the store (aiohttp + jinja2)."""
