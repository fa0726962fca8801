"""notion-syncd: mirror a whole Notion workspace into a Git repository, incrementally."""

from __future__ import annotations

__version__ = "0.1.0"
