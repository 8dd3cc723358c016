"""template.yaml: passes cfn-lint, and wires the Alexa trigger and the handler's check to one skill ID."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from skill.tools.lambda_package import DEFAULT_OUTPUT, LAMBDA_PYTHON_VERSION, PROJECT_ROOT
from tests.sam_template import TEMPLATE, load_template


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def function(template: dict[str, Any]) -> dict[str, Any]:
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    assert len(functions) == 1
    properties: dict[str, Any] = functions[0]["Properties"]
    return properties


# cfn-lint from this interpreter's environment (installed beside it), not whichever `cfn-lint` is first
# on PATH: an older one elsewhere may not know the python3.11 runtime.
CFN_LINT = [str(Path(sys.executable).with_name("cfn-lint"))]


def test_cfn_lint_passes_with_no_errors_warnings_or_notes() -> None:
    result = subprocess.run(
        [*CFN_LINT, "--include-checks", "I", "--", str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_is_a_sam_template(template: dict[str, Any]) -> None:
    assert template["Transform"] == "AWS::Serverless-2016-10-31"


def test_the_skill_id_parameter_is_required_and_checked(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["SkillId"]
    assert "Default" not in parameter
    pattern = parameter["AllowedPattern"]
    assert re.fullmatch(pattern, "amzn1.ask.skill.8c6f0e2a-1b3d-4e5f-9a7b-0c1d2e3f4a5b")
    for wrong in (
        "",
        "amzn1.ask.skill.",
        "amzn1.ask.skill.8c6f0e2a-1b3d-4e5f-9a7b",
        "amzn1.ask.skill.8c6f0e2a-1b3d-4e5f-9a7b-0c1d2e3f4a5b-extra",
        "amzn1.echo-sdk-ams.app.8c6f0e2a-1b3d-4e5f-9a7b-0c1d2e3f4a5b",
        "amzn1xask.skill.8c6f0e2a-1b3d-4e5f-9a7b-0c1d2e3f4a5b",
    ):
        assert not re.fullmatch(pattern, wrong), wrong


def test_the_alexa_trigger_and_the_handler_check_use_the_same_skill_id(function: dict[str, Any]) -> None:
    events = list(function["Events"].values())
    assert [event["Type"] for event in events] == ["AlexaSkill"]
    # Without SkillId, any skill could invoke the function; with it, Lambda lets only ours in.
    assert events[0]["Properties"]["SkillId"] == {"Ref": "SkillId"}
    assert function["Environment"]["Variables"]["ALEXA_SKILL_ID"] == {"Ref": "SkillId"}


def test_the_function_runs_the_built_zip_within_alexas_time_limit(function: dict[str, Any]) -> None:
    assert function["Runtime"] == "python3.11"
    assert function["Architectures"] == ["x86_64"]
    assert function["Handler"] == "lambda_function.lambda_handler"
    assert "def lambda_handler(" in (PROJECT_ROOT / "lambda" / "lambda_function.py").read_text()
    assert function["MemorySize"] == 256
    assert function["Timeout"] == 7  # Alexa gives up after 8 seconds
    assert Path(function["CodeUri"]) == DEFAULT_OUTPUT


def test_the_runtime_is_the_python_the_zips_bytecode_is_compiled_for(function: dict[str, Any]) -> None:
    """Bytecode of another version is ignored, and every module compiled again on each cold start."""
    assert function["Runtime"] == f"python{LAMBDA_PYTHON_VERSION}"
    # SnapStart for Python needs python3.12 or later: the runtime and the build move together, or not at all.
    if "SnapStart" in function:
        assert tuple(int(part) for part in LAMBDA_PYTHON_VERSION.split(".")) >= (3, 12)


def test_logs_have_a_retention_and_exist_before_the_function(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    (name, log_group), *others = [(k, r) for k, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"]
    assert not others
    assert log_group["Properties"]["RetentionInDays"]
    assert log_group["Properties"]["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${FunctionName}"}
    (function_resource,) = [r for r in resources.values() if r["Type"] == "AWS::Serverless::Function"]
    assert function_resource["Properties"]["FunctionName"] == {"Ref": "FunctionName"}
    assert function_resource["DependsOn"] == name


def test_the_function_arn_is_an_output(template: dict[str, Any]) -> None:
    values = [output["Value"] for output in template["Outputs"].values()]
    assert {"Fn::GetAtt": ["SkillFunction", "Arn"]} in values
