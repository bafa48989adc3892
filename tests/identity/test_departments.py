import pytest

from tokenbase.identity.departments import (
    create_department,
    delete_department,
    department_tree,
    update_department,
)
from tokenbase.identity.errors import Conflict, InvalidInput
from tokenbase.identity.users import create_user


def test_tree_and_cycle_refused(engine):
    with engine.begin() as conn:
        hq = create_department(conn, "总部")
        rd = create_department(conn, "研发部", hq.id)
        platform = create_department(conn, "平台组", rd.id)
        sales = create_department(conn, "销售部", hq.id)
        roots = department_tree(conn)
        assert [r.name for r in roots] == ["总部"]
        assert sorted(c.name for c in roots[0].children) == ["研发部", "销售部"]
        with pytest.raises(Conflict) as err:
            update_department(conn, hq.id, parent_id=platform.id)
        assert err.value.code == "department_cycle"
        with pytest.raises(Conflict):
            update_department(conn, rd.id, parent_id=rd.id)
        moved = update_department(conn, platform.id, parent_id=sales.id)
        assert moved.parent_id == sales.id
        with pytest.raises(Conflict):
            create_department(conn, "研发部", hq.id)
        with pytest.raises(InvalidInput):
            create_department(conn, "x", 999)


def test_delete_refuses_non_empty(engine):
    with engine.begin() as conn:
        hq = create_department(conn, "总部")
        rd = create_department(conn, "研发部", hq.id)
        create_user(conn, "amy", password="password1", department_id=rd.id)
        with pytest.raises(Conflict):
            delete_department(conn, hq.id)
        with pytest.raises(Conflict):
            delete_department(conn, rd.id)
