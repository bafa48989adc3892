"""Ingestion errors. Each message says what went wrong and what to do about it.

IngestError
 ├── UnsupportedFormat     no parser for this type
 ├── EmptyFile             zero bytes, or no text at all
 ├── FileTooLarge          over `max_file_size_mb`
 ├── EncryptedDocument     password-protected
 ├── CorruptDocument       truncated or malformed
 ├── DecodingError         text in an encoding we cannot read
 └── FetchError            a URL or database source could not be read
"""


class IngestError(Exception):
    """Base class: a single document could not be ingested. The batch goes on."""

    code = "ingest_error"


class UnsupportedFormat(IngestError):
    code = "unsupported_format"


class EmptyFile(IngestError):
    code = "empty_file"


class FileTooLarge(IngestError):
    code = "file_too_large"


class EncryptedDocument(IngestError):
    code = "encrypted"


class CorruptDocument(IngestError):
    code = "corrupt"


class DecodingError(IngestError):
    code = "decoding_error"


class FetchError(IngestError):
    code = "fetch_error"
