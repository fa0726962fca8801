"""Notion integration webhooks: verify, journal, debounce, and trigger an early sync."""
