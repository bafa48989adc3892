"""The ask pipeline: retrieval, answer, citations — composed from search, llm and ingest."""
