"""`tpi-skill` starts quickly because each subcommand imports only what it uses. (How quickly is measured
side by side with the old code by benchmarks/bench_cli.py; here, which modules each command loads.)"""

from __future__ import annotations

import subprocess
import sys

from tests.cli_process import command_env
from tests.helpers_server import running_skill

WEB = ("flask", "werkzeug", "skill.web")
SDK = ("ask_sdk_core", "ask_sdk_model")


def loaded(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `code`."""
    probe = f"{code}\nimport sys\nprint(' '.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=command_env()
    )
    return set(done.stdout.splitlines()[-1].split())


def among(modules: set[str], *packages: str) -> set[str]:
    return {m for m in modules for p in packages if m == p or m.startswith(p + ".")}


def test_the_command_itself_loads_no_subcommand_s_dependencies() -> None:
    modules = loaded("import skill.tools.cli")
    heavy = ("yaml", "skill.tools.nlu", "skill.tools.model_builder", "urllib.request", "skill.tools.local")
    assert among(modules, *WEB, *SDK, *heavy) == set()


def test_ask_loads_neither_the_web_service_nor_an_http_client() -> None:
    modules = loaded("from skill.tools.cli import main\nmain(['ask', 'which muscles are treated'])")
    assert "skill.tools.nlu" in modules and "ask_sdk_core" in modules  # it did answer, in-process
    assert among(modules, *WEB, "urllib.request", "http.client") == set()


def test_ask_over_http_loads_no_sdk() -> None:
    with running_skill() as url:
        modules = loaded(
            f"from skill.tools.cli import main\nmain(['ask', '--url', {url!r}, 'which muscles'])"
        )
    assert "urllib.request" in modules
    assert among(modules, *WEB, *SDK, "skill.runtime.app") == set()


def test_help_loads_nothing_a_command_needs() -> None:
    modules = loaded(
        "from skill.tools.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert among(modules, *WEB, *SDK, "yaml", "skill.tools.nlu", "skill.runtime") == set()
