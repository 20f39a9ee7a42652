"""The revisions, hand-written: each one a frozen record of one schema change."""
