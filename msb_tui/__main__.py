"""Allow ``python -m msb_tui``."""

from msb_tui.cli import main

raise SystemExit(main())
