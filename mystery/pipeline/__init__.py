"""A campaign of mystery calls end to end: dial the schedule on a pool of workers, then analyse,
transcribe, score and store each call. The only mystery package that imports every stage."""
