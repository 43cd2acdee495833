from mlbdash.cli import main

raise SystemExit(main())
