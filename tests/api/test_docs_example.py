"""The example client of docs/api.md, run as written against a live server."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from innovation_center.accounts.models import Membership
from tests import factories
from tests.evaluation.helpers import digits_model_bytes

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def example_client() -> str:
    section = DOCS.read_text(encoding="utf-8").split("## Example client", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.django_db(transaction=True)
def test_it_runs_the_documented_client_from_token_to_result(live_server, tmp_path):
    company = factories.company()
    factories.member(company.organisation, Membership.Role.COMPANY_MEMBER, "partner")
    factories.allocation(company, hours="50", device_cap=2)
    for _n in range(2):
        factories.accelerator()
    factories.builtin_dataset("digits")
    model_file = tmp_path / "digits.npz"
    model_file.write_bytes(digits_model_bytes())
    script = tmp_path / "client.py"
    script.write_text(example_client(), encoding="utf-8")

    env = dict(
        os.environ,
        IC_API=f"{live_server.url}/api/v1",
        IC_USERNAME="partner",
        IC_PASSWORD=factories.PASSWORD,
        IC_MODEL_FILE=str(model_file),
    )
    run = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "succeeded, 2/2 shards" in run.stdout
    assert re.search(r"accuracy 0\.\d{4}", run.stdout), run.stdout
