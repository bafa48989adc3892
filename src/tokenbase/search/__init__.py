"""Search: tokenizer + glossary, lexical index, vector index, fusion, the hybrid searcher."""
