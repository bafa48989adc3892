"""Ingestion: sources -> parsers -> blocks with locators -> chunks -> durable jobs."""
