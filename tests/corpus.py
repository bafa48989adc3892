"""A small Chinese corpus shared by the ingest and search tests."""

from pathlib import Path

# A small Chinese corpus: three documents on different subjects.
CORPUS = {
    "差旅制度.md": "# 差旅管理制度\n\n## 住宿标准\n\n"
    "一线城市普通员工住宿每晚不超过500元，经理不超过650元。\n\n"
    "## 报销时限\n\n差旅费用应在出差结束后30天内提交报销，逾期不予受理。\n",
    "信息安全.txt": "信息安全规定\n\n员工不得将公司源代码上传到任何公共代码仓库。\n\n"
    "办公电脑必须开启磁盘加密，离开座位时锁定屏幕。\n",
    "食堂.md": "# 员工食堂\n\n食堂午餐供应时间为11:30至13:00，每餐公司补贴15元。\n",
}


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
