"""The prompt asset library: named templates, immutable versions, labels, usage reports."""
