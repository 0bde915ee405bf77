"""Check functions: pure judgements of one call (or one campaign) against one rule."""
