"""What the MLB Stats API is: models, statuses, timecodes, league dates, patching. Pure, no I/O."""
