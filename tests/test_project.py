"""The project's own files agree with each other."""

import re

import yaml

from critbatch.paths import project_root

ROOT = project_root()


def pins(lines):
    return dict(re.match(r"\s*-?\s*([A-Za-z0-9_.-]+)==(\S+)", line).groups()
                for line in lines if re.match(r"\s*-?\s*[A-Za-z0-9_.-]+==", line))


def test_environment_yml_pins_what_requirements_pin():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    requirements = pins((ROOT / "requirements.txt").read_text().splitlines())
    assert pins(pip_section) == requirements
    assert len(requirements) >= 10


def test_constraints_agree_with_requirements():
    constraints = pins((ROOT / "constraints.txt").read_text().splitlines())
    for name, version in pins((ROOT / "requirements.txt").read_text().splitlines()).items():
        assert constraints.get(name) == version, name


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert commands == ["make test"]
