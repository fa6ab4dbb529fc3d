"""The one base class of every configuration section, and where the configuration files live."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict

REPO_CONF = Path(__file__).resolve().parents[2] / "conf"


class Section(BaseModel):
    """A configuration section: unknown keys are errors, and so is a bad value assigned later."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def default_conf_dir() -> Path:
    """``REGULAKE_CONF_DIR``, else ``./conf`` when present, else the repository's ``conf/``."""
    env = os.environ.get("REGULAKE_CONF_DIR")
    if env:
        return Path(env)
    cwd_conf = Path.cwd() / "conf"
    if (cwd_conf / "base.yaml").exists():
        return cwd_conf
    return REPO_CONF
