"""Old home of the placement import: only `tasks` remains, for jobs queued before the move."""
