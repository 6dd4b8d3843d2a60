#!/usr/bin/env python3
"""Checks the GitHub Actions workflows in .github/workflows/ without running them.

    tests/workflows_test.py REPO_ROOT

For every *.yml / *.yaml there (there must be at least one): it parses (yaml.safe_load);
it is a mapping with a trigger (`on`, which PyYAML reads as the boolean True) and a
non-empty `jobs`; every job has `runs-on` and a non-empty `steps` list (or calls a reusable
workflow with a job-level `uses`); every step has exactly one of `uses` or `run`; every
`uses` is owner/repo[/path]@ref (or an existing ./local action, or docker://image); every
repository file a `run` names (a relative *.sh / *.py path, or a path under ci/, tests/,
tools/, .clusterfuzzlite/) exists; ClusterFuzzLite's run_fuzzers gets a known `mode`.
When any workflow uses google/clusterfuzzlite actions, .clusterfuzzlite/project.yaml,
Dockerfile and build.sh must exist (they are what those actions build from), and
project.yaml's language must match the actions' `language` input.
Prints each check; exits 1 if any failed.
"""
import re
import sys
from pathlib import Path

import yaml

USES_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(?:/[^@\s]+)?@[^@\s/][^@\s]*$")
# A relative path ending .sh/.py, not the tail of a longer path, $VAR/... or ${{ }}/...
SCRIPT_RE = re.compile(r"(?<![\w/.$}-])((?:\./(?:\.?[\w-]+/)*|(?:\.?[\w-]+/)+)[\w.-]+\.(?:sh|py))\b")
# Any path under the directories that hold the repository's own scripts and tools.
REPO_PATH_RE = re.compile(r"(?<![\w/.$}-])((?:\./)?(?:ci|tests|tools|\.clusterfuzzlite)/[\w./-]*[\w-])")
CFLITE_PREFIX = "google/clusterfuzzlite/actions/"
CFLITE_FILES = ("project.yaml", "Dockerfile", "build.sh")
CFLITE_MODES = {"code-change", "batch", "prune", "coverage"}

failures = 0


def check(ok, what):
    global failures
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures += 1
    return ok


def run_dir(root, workflow, job, step):
    """The directory a step's `run` executes in, or None if it depends on an expression."""
    wd = step.get("working-directory")
    for scope in (job, workflow):
        if wd is None:
            wd = ((scope.get("defaults") or {}).get("run") or {}).get("working-directory")
    if wd is None:
        return root
    return None if "${{" in str(wd) else root / str(wd)


def check_step(root, name, workflow, job, step, cflite):
    if not check(isinstance(step, dict), f"{name}: step is a mapping"):
        return
    label = f"{name} step '{step.get('name') or step.get('id') or step.get('uses') or '?'}'"
    if not check(("uses" in step) != ("run" in step), f"{label}: has exactly one of uses/run"):
        return
    if "uses" in step:
        uses = str(step["uses"])
        if uses.startswith("./"):
            check((root / uses).is_dir(), f"{label}: local action {uses} exists")
        elif uses.startswith("docker://"):
            check(len(uses) > len("docker://"), f"{label}: uses {uses} names an image")
        else:
            check(bool(USES_RE.match(uses)), f"{label}: uses '{uses}' is owner/repo[/path]@ref")
        if uses.startswith(CFLITE_PREFIX):
            inputs = step.get("with") or {}
            cflite.append((label, inputs))
            if uses.split("@")[0].endswith("/run_fuzzers") and "mode" in inputs:
                check(inputs["mode"] in CFLITE_MODES,
                      f"{label}: mode '{inputs['mode']}' is one of {sorted(CFLITE_MODES)}")
        return
    text = str(step["run"])
    base = run_dir(root, workflow, job, step)
    if base is None:
        print(f"skip  {label}: working-directory is an expression; paths not checked")
        return
    paths = set(SCRIPT_RE.findall(text)) | set(REPO_PATH_RE.findall(text))
    for path in sorted(paths):
        check((base / path).exists(), f"{label}: runs {path}, which exists")


def check_workflow(root, path, cflite):
    name = path.relative_to(root).as_posix()
    try:
        workflow = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        check(False, f"{name}: parses as YAML: {e}")
        return
    check(True, f"{name}: parses as YAML")
    if not check(isinstance(workflow, dict), f"{name}: is a mapping"):
        return
    # PyYAML (YAML 1.1) reads the key `on` as the boolean True.
    trigger = workflow.get("on", workflow.get(True))
    check(bool(trigger), f"{name}: has a trigger (on:)")
    jobs = workflow.get("jobs")
    if not check(isinstance(jobs, dict) and len(jobs) > 0, f"{name}: has jobs"):
        return
    for job_id, job in jobs.items():
        jname = f"{name} job '{job_id}'"
        if not check(isinstance(job, dict), f"{jname}: is a mapping"):
            continue
        if "uses" in job and "steps" not in job:  # a call to a reusable workflow
            uses = str(job["uses"])
            if uses.startswith("./"):
                check((root / uses).is_file(), f"{jname}: reusable workflow {uses} exists")
            else:
                check(bool(USES_RE.match(uses)), f"{jname}: uses '{uses}' is owner/repo/path@ref")
            continue
        check("runs-on" in job, f"{jname}: has runs-on")
        steps = job.get("steps")
        if check(isinstance(steps, list) and len(steps) > 0, f"{jname}: has steps"):
            for step in steps:
                check_step(root, jname, workflow, job, step, cflite)


def main():
    if len(sys.argv) != 2:
        print("usage: workflows_test.py REPO_ROOT", file=sys.stderr)
        return 2
    root = Path(sys.argv[1]).resolve()
    wf_dir = root / ".github" / "workflows"
    files = sorted(p for p in wf_dir.glob("*") if p.suffix in (".yml", ".yaml") and p.is_file()) \
        if wf_dir.is_dir() else []
    if check(len(files) > 0, f"workflow files in {wf_dir.relative_to(root)}: {len(files)}"):
        cflite = []  # (step label, with-inputs) of every ClusterFuzzLite action step
        for path in files:
            check_workflow(root, path, cflite)
        if cflite:
            cfl = root / ".clusterfuzzlite"
            for f in CFLITE_FILES:
                check((cfl / f).is_file(), f".clusterfuzzlite/{f} exists (ClusterFuzzLite builds from it)")
            project = cfl / "project.yaml"
            if project.is_file():
                try:
                    language = (yaml.safe_load(project.read_text()) or {}).get("language")
                except yaml.YAMLError as e:
                    language = None
                    check(False, f".clusterfuzzlite/project.yaml parses as YAML: {e}")
                for label, inputs in cflite:
                    if "language" in inputs:
                        check(inputs["language"] == language,
                              f"{label}: language '{inputs['language']}' matches project.yaml's '{language}'")
    print(f"workflows: {failures} check(s) failed" if failures else "workflows: all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
