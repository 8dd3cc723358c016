"""Build the AWS Lambda zip (for `sam deploy`) and the symlink-free skill package (for `ask deploy`).

Usage: python scripts/build_lambda.py [--output dist/lambda.zip] [--skill-package-output build/skill-package]
                                     [--without-endpoint | --endpoint-arn ARN] [--no-skill-package]
                                     [--python PATH-TO-CPYTHON-3.11]
Deploy order: --without-endpoint then `ask deploy` (creates the skill ID); `sam deploy` with that ID;
--endpoint-arn <SkillFunctionArn output> then `ask deploy` again.
Needs network access to PyPI: dependencies are fetched as Lambda-platform wheels. The zip's bytecode
is compiled by a CPython of the Lambda runtime's version (3.11); the build stops if none is found.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from skill.tools.lambda_package import (
    DEFAULT_OUTPUT,
    LAMBDA_PYTHON_VERSION,
    PROJECT_ROOT,
    BuildError,
    build_lambda_zip,
)
from skill.tools.skill_package import DEFAULT_SKILL_PACKAGE_OUTPUT, stage_skill_package


def main(argv: list[str] | None = None) -> int:
    """Build both artefacts; exit status 1 with a one-line reason when the build cannot be done."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Defaults sit in the checkout, wherever this runs from: template.yaml and ask-resources.json expect them.
    parser.add_argument(
        "--output", type=Path, default=PROJECT_ROOT / DEFAULT_OUTPUT, help="where to write the zip"
    )
    parser.add_argument(
        "--skill-package-output",
        type=Path,
        default=PROJECT_ROOT / DEFAULT_SKILL_PACKAGE_OUTPUT,
        help="where to copy skill-package/ with its symlinks resolved",
    )
    parser.add_argument("--no-skill-package", action="store_true", help="build only the Lambda zip")
    parser.add_argument(
        "--python",
        help=f"a CPython {LAMBDA_PYTHON_VERSION} to compile the zip's bytecode with (default: this one, "
        f"else python{LAMBDA_PYTHON_VERSION} on PATH)",
    )
    endpoint = parser.add_mutually_exclusive_group()
    endpoint.add_argument(
        "--endpoint-arn", help="the deployed function's ARN (SAM output SkillFunctionArn) for the manifest"
    )
    endpoint.add_argument(
        "--without-endpoint",
        action="store_true",
        help="leave the endpoint out: for the first ask deploy, which creates the skill ID SAM needs",
    )
    args = parser.parse_args(argv)
    if not args.no_skill_package:  # first: it is quick, and a wrong ARN should stop the build early
        try:
            staged = stage_skill_package(
                args.skill_package_output,
                endpoint_arn=args.endpoint_arn,
                without_endpoint=args.without_endpoint,
            )
        except ValueError as error:
            print(f"build_lambda: {error}", file=sys.stderr)
            return 1
        print(f"Skill package for ask deploy: {staged}")
    try:
        zip_path = build_lambda_zip(args.output, python=args.python)
    except (BuildError, subprocess.CalledProcessError) as error:
        print(f"build_lambda: {error}", file=sys.stderr)
        return 1
    print(f"Lambda zip: {zip_path} ({zip_path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
