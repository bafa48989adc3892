"""Built-in parsers, one module per format. Importing this package registers them all."""

from . import (  # noqa: F401
    csv,
    docx,
    html,
    image,
    markdown,
    pdf,
    pptx,
    sqlrows,
    text,
    xls,
    xlsx,
)
