from onvif_recorder.cli import main

raise SystemExit(main())
