"""Issue 14's independent audio corpus: real recordings from public sources assembled into labelled calls."""
