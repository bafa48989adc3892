import pytest
from sqlalchemy import Engine

from tokenbase.db import open_database


@pytest.fixture
def engine(tmp_path) -> Engine:
    db = open_database(f"sqlite:///{tmp_path / 'tb.db'}")
    yield db.engine
    db.engine.dispose()
