"""Typed variables, defaults, escapes and the errors that name the variable."""

from __future__ import annotations

import pytest

from tokenbase.prompts.errors import MissingVariable, TemplateError, VariableTypeError
from tokenbase.prompts.render import Template, Variable, parse_var_spec, placeholders


def template(body: str, *specs: str) -> Template:
    t = Template(body, [parse_var_spec(s) for s in specs])
    t.check()
    return t


def test_each_type_is_coerced_and_rendered():
    t = template(
        "{{s}}|{{ i }}|{{f}}|{{b}}|{{l}}|{{e}}",
        "s",
        "i:int",
        "f:float",
        "b:bool",
        "l:list",
        "e:enum(zh|en)",
    )
    assert t.render({"s": "文本", "i": "42", "f": 0.5, "b": "yes", "l": "x, y", "e": "en"}) == (
        "文本|42|0.5|true|x\ny|en"
    )
    assert t.render({"s": 1, "i": 7, "f": "2", "b": False, "l": '["p", 2]', "e": "zh"}) == (
        "1|7|2.0|false|p\n2|zh"
    )


def test_defaults_make_a_variable_optional():
    t = template("{{n}} {{tone}} {{flag}}", "n:int:3", "tone:enum(a|b):b", "flag:bool:off")
    assert [v.required for v in t.variables] == [False, False, False]
    assert t.render({}) == "3 b false"
    assert t.render({"n": 5}) == "5 b false"


def test_errors_name_the_variable():
    t = template("{{a}} {{b}} {{n}} {{e}}", "a", "b", "n:int:1", "e:enum(x|y):x")
    with pytest.raises(MissingVariable, match="missing required variables a, b"):
        t.render({})
    with pytest.raises(MissingVariable, match="variable b$"):
        t.render({"a": "1"})
    with pytest.raises(VariableTypeError, match="variable n must be a whole number, got 'ten'"):
        t.render({"a": "1", "b": "2", "n": "ten"})
    with pytest.raises(VariableTypeError, match="variable n"):
        t.render({"a": "1", "b": "2", "n": True})
    with pytest.raises(VariableTypeError, match="variable e must be one of x, y"):
        t.render({"a": "1", "b": "2", "e": "z"})
    with pytest.raises(TemplateError, match="unknown variable c"):
        t.render({"a": "1", "b": "2", "c": "3"})
    with pytest.raises(VariableTypeError, match="variable a must be text"):
        t.render({"a": {"x": 1}, "b": "2"})


def test_escapes_and_literal_braces():
    t = template("\\{{not_a_var}} {json: 1} {{v}} }} \\ end", "v")
    assert placeholders(t.body) == ["v"]  # type: ignore[arg-type]
    assert t.render({"v": "{{v}}"}) == "{{not_a_var}} {json: 1} {{v}} }} \\ end"


def test_bad_specs_and_placeholders():
    with pytest.raises(TemplateError, match="unknown type 'date'"):
        parse_var_spec("d:date")
    with pytest.raises(TemplateError, match="needs choices"):
        Variable.from_dict({"name": "e", "type": "enum"})
    with pytest.raises(TemplateError, match="invalid variable name"):
        parse_var_spec("1x")
    with pytest.raises(VariableTypeError, match="variable n"):
        parse_var_spec("n:int:many")
    with pytest.raises(TemplateError, match="invalid placeholder"):
        placeholders("{{ a b }}")
    with pytest.raises(TemplateError, match="declared twice"):
        Template("{{a}}", [parse_var_spec("a"), parse_var_spec("a")]).check()
    spec = parse_var_spec("tone:enum(formal|casual):casual")
    assert spec.to_dict() == {
        "name": "tone",
        "type": "enum",
        "required": False,
        "default": "casual",
        "choices": ["formal", "casual"],
    }
