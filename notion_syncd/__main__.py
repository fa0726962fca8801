from __future__ import annotations

from notion_syncd.cli import main

raise SystemExit(main())
