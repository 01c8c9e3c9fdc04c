"""Rule sets in and out as files, the demo rule set, the rebuild command, and the admin form."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import County
from tests.scoring.conftest import YEAR, carry
from xinbao.audit.models import AuditRecord
from xinbao.items.models import Item
from xinbao.publishing.models import Publication
from xinbao.scoring.admin import RuleSetForm
from xinbao.scoring.models import RuleSet, ScoreEntry
from xinbao.scoring.rules import DEMO_RULES


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_seed_ruleset_installs_the_demo_rules_once(county: County) -> None:
    code = county.dept.code
    assert "已建立《" in run("seed_ruleset", "--department", code, "--year", str(YEAR))
    assert "未改动" in run("seed_ruleset", "--department", code, "--year", str(YEAR))
    ruleset = RuleSet.objects.get()
    assert ruleset.rules == DEMO_RULES
    assert AuditRecord.objects.filter(action="ruleset.create").count() == 1


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_export_then_import_round_trips(county: County, tmp_path: Path, suffix: str) -> None:
    code = county.dept.code
    run("seed_ruleset", "--department", code, "--year", str(YEAR))
    path = tmp_path / f"rules{suffix}"
    run("ruleset_export", "--department", code, "--year", str(YEAR), "--out", str(path))
    RuleSet.objects.all().delete()
    assert "已导入《" in run("ruleset_import", str(path))
    assert RuleSet.objects.get().rules == DEMO_RULES


def test_export_prints_json(county: County) -> None:
    run("seed_ruleset", "--department", county.dept.code, "--year", str(YEAR))
    document = json.loads(run("ruleset_export", "--department", county.dept.code, "--year", "2026"))
    assert document["department"] == county.dept.code
    assert document["rules"]["instruction"]["province"] == 20


def test_import_lists_every_problem_and_changes_nothing(county: County, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    rules = {**DEMO_RULES, "multi_level": "both", "monthly_base": -1}
    path.write_text(
        json.dumps({"department": county.dept.code, "year": YEAR, "name": "坏", "rules": rules}),
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as error:
        run("ruleset_import", str(path))
    message = str(error.value)
    assert "“multi_level”只能是:highest_only、cumulative。" in message
    assert "“monthly_base”不能是负数。" in message
    assert not RuleSet.objects.exists()


def test_import_refuses_broken_files(tmp_path: Path, db: None) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="文件格式有误"):
        run("ruleset_import", str(path))
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(CommandError, match="缺少“department”项"):
        run("ruleset_import", str(path))


def test_score_rebuild_prints_totals(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: dict[str, Publication],
) -> None:
    ruleset()
    carry(submitted(), publications["city"], on=datetime.date(YEAR, 3, 3))
    output = run("score_rebuild", "--department", county.dept.code, "--year", str(YEAR))
    assert "计分明细 1 条,变动 1 条" in output
    assert "甲镇\t+10" in output
    assert ScoreEntry.objects.count() == 1
    assert "变动 0 条" in run("score_rebuild", "--department", county.dept.code, "--year", "2026")


def test_score_rebuild_without_rules_says_so(county: County) -> None:
    with pytest.raises(CommandError, match="尚无 2026 年的考核办法"):
        run("score_rebuild", "--department", county.dept.code, "--year", str(YEAR))


def test_admin_form_validates_rules(county: County) -> None:
    data = {"department": county.dept.pk, "year": YEAR, "name": "办法"}
    bad = RuleSetForm(data={**data, "rules": json.dumps({"caps": {"动态": 0}})})
    assert not bad.is_valid()
    assert bad.errors["rules"] == ["“caps.动态”必须是 1 到 100000 之间的整数。"]
    good = RuleSetForm(data={**data, "rules": json.dumps(DEMO_RULES, ensure_ascii=False)})
    assert good.is_valid(), good.errors
