"""A campaign of mystery calls: scenario file -> schedule of call plans -> pool of dialers -> store."""
