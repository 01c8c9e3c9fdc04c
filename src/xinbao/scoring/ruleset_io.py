"""Rule sets as files: a JSON (or, when PyYAML is installed, YAML) document

    {"department": "LJ-YX", "year": 2026, "name": "…考核办法", "rules": {…}}

``read_document`` returns the document and every problem found, in Chinese."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

from django.utils.translation import gettext as _

from xinbao.scoring.models import RuleSet
from xinbao.scoring.rules import normalize_classes, validate_rules


def yaml_module() -> ModuleType | None:
    try:
        return importlib.import_module("yaml")
    except ImportError:
        return None


def is_yaml(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def document_of(ruleset: RuleSet) -> dict[str, Any]:
    return {
        "department": ruleset.department.code,
        "year": ruleset.year,
        "name": ruleset.name,
        "rules": ruleset.rules,
    }


def dump(document: dict[str, Any], *, as_yaml: bool = False) -> str:
    if as_yaml:
        yaml = yaml_module()
        if yaml is None:
            raise ValueError(_("未安装 PyYAML,无法导出 YAML,请改用 JSON。"))
        return str(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def read_document(text: str, *, as_yaml: bool = False) -> tuple[dict[str, Any], list[str]]:
    yaml = yaml_module() if as_yaml else None
    if as_yaml and yaml is None:
        return {}, [_("未安装 PyYAML,无法读取 YAML 文件,请改用 JSON。")]
    # json.JSONDecodeError is a ValueError; yaml.YAMLError is not.
    parse_errors: tuple[type[Exception], ...] = (ValueError,)
    if yaml is not None:
        parse_errors += (yaml.YAMLError,)
    try:
        data = yaml.safe_load(text) if yaml is not None else json.loads(text)
    except parse_errors as error:
        return {}, [_("文件格式有误:%(error)s") % {"error": error}]
    if not isinstance(data, dict):
        return {}, [_("文件内容必须是一个键值表,含 department、year、name、rules。")]
    errors: list[str] = []
    for key in ("department", "year", "name", "rules"):
        if key not in data:
            errors.append(_("缺少“%(key)s”项。") % {"key": key})
    year = data.get("year")
    if "year" in data and (not isinstance(year, int) or isinstance(year, bool)):
        errors.append(_("“year”必须是年份数字,如 2026。"))
    if "rules" in data:
        data["rules"] = normalize_classes(data["rules"])
        errors += validate_rules(data["rules"])
    return data, errors
