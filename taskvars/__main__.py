from taskvars.cli import main

raise SystemExit(main())
