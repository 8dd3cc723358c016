"""A symlink-free copy of the ASK skill package, with the endpoint the deploy step needs.

`skill-package/interactionModels/custom` is a symlink to `interaction_models/` so the models are
committed once. ASK CLI v2 zips the skill package without following symlinks (it would upload a link,
not the models), so `ask deploy` reads this copy instead (see ask-resources.json).
`scripts/build_lambda.py` is its command, beside the Lambda zip.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from skill.tools.lambda_package import PROJECT_ROOT

DEFAULT_SKILL_PACKAGE_OUTPUT = Path("build/skill-package")

_LAMBDA_ARN = re.compile(
    r"arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9_$-]+)?"
)


def stage_skill_package(
    destination: Path | None = None,
    *,
    root: Path = PROJECT_ROOT,
    endpoint_arn: str | None = None,
    without_endpoint: bool = False,
) -> Path:
    """Copy `skill-package/` to `destination` (default: `build/skill-package` under `root`) with
    symlinks replaced by the files they point at.

    The committed endpoint is a placeholder ARN. `endpoint_arn` puts the deployed function's ARN in
    the copy; `without_endpoint` leaves the endpoint out, for the first `ask deploy` that creates the
    skill and its ID before the Lambda (which needs that ID) exists.
    """
    if endpoint_arn is not None and without_endpoint:
        raise ValueError("give an endpoint ARN or leave the endpoint out, not both")
    destination = destination or root / DEFAULT_SKILL_PACKAGE_OUTPUT
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(root / "skill-package", destination, symlinks=False)
    if endpoint_arn is not None or without_endpoint:
        manifest_path = destination / "skill.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        custom = manifest["manifest"]["apis"]["custom"]
        if without_endpoint:
            custom.pop("endpoint", None)
        else:
            if not _LAMBDA_ARN.fullmatch(endpoint_arn or ""):
                raise ValueError(f"not a Lambda function ARN: {endpoint_arn!r}")
            custom["endpoint"] = {"uri": endpoint_arn}
        manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return destination
