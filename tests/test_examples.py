"""The example submissions of ``course demo``: generated reproducibly, graded as declared.

``autograder/examples/make_examples.py`` builds every example from the release
notebooks and declares, per example, which graded test cells its mistake makes
fail. Here the committed files must be exactly what the script writes, and
grading them must give exactly the declared scores. The grading runs once per
session (a few minutes: every notebook executes in a kernel).
"""

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from autograder.examples import make_examples

pytestmark = pytest.mark.slow

EXAMPLES = make_examples.HERE


def _files(root: Path) -> dict:
    names = ["expected.csv", "README.md"]
    names += sorted(str(p.relative_to(root)) for p in (root / "submitted").rglob("*.ipynb"))
    return {name: (root / name).read_bytes() for name in names if (root / name).is_file()}


def _expected() -> list[dict]:
    with open(EXAMPLES / "expected.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_committed_examples_are_what_the_script_writes(tmp_path):
    assert make_examples.main(["--out", str(tmp_path)]) == 0
    committed, fresh = _files(EXAMPLES), _files(tmp_path)
    assert sorted(committed) == sorted(fresh), "run python -m autograder.examples.make_examples"
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert not stale, f"out of date (rerun make_examples): {stale}"


def test_a_mutation_that_no_longer_matches_the_master_raises():
    drifted = make_examples.Example(
        "drifted", "03_losses", "a mutation of code the master does not have",
        mutations={"svm_loss": [("this text is not in the master", "")]})
    with pytest.raises(ValueError, match="occurs 0 times"):
        make_examples.build(drifted)
    unknown = make_examples.Example("unknown", "03_losses", "a cell that does not exist",
                                    fails={"test_no_such_cell"})
    with pytest.raises(ValueError, match="no graded test cell"):
        make_examples.build(unknown)


def test_expected_scores_follow_the_declarations():
    rows = _expected()
    by_example = defaultdict(list)
    for r in rows:
        by_example[r["student_id"], r["assignment"]].append(r)
    declared = {(e.student, e.assignment): e for e in make_examples.EXAMPLES}
    assert set(by_example) == set(declared)
    for key, cells in by_example.items():
        example = declared[key]
        zero = {r["grade_id"] for r in cells if float(r["score"]) == 0}
        assert sum(float(r["max_score"]) for r in cells) == 100, key
        if example.fails == make_examples.ALL:
            assert zero == {r["grade_id"] for r in cells}, key
        else:
            assert zero == example.fails, key
    flawed = [e for e in make_examples.EXAMPLES if e.fails and e.fails != make_examples.ALL]
    assert len({e.student for e in flawed}) >= 10


@pytest.fixture(scope="module")
def graded_run(tmp_path_factory):
    from autograder.grade import grade

    out = tmp_path_factory.mktemp("graded")
    return grade(submissions=EXAMPLES / "submitted", out=out), out


@pytest.fixture(scope="module")
def graded(graded_run):
    return graded_run[0]


def test_the_solution_shows_no_error_under_grading_and_experiments_are_not_run(graded_run):
    import nbformat

    from autograder.execute import EXPERIMENT

    notebooks = sorted((graded_run[1] / "course" / "autograded" / "solution").glob("*/*.ipynb"))
    assert len(notebooks) == 6
    for path in notebooks:
        cells = nbformat.read(path, as_version=4).cells
        errors = [(i, o.get("ename")) for i, c in enumerate(cells) if c.cell_type == "code"
                  for o in c.outputs if o.output_type == "error"]
        assert not errors, (path.parent.name, errors)
        skipped = [c for c in cells if "experiment" in c.metadata.get("tags", [])]
        assert skipped, path.parent.name
        for cell in skipped:
            assert [o.get("text") for o in cell.outputs] == [EXPERIMENT], path.parent.name


def test_every_graded_cell_scores_as_declared(graded):
    got = {(r.student_id, r.assignment, r.grade_id): r for r in graded}
    problems = []
    for want in _expected():
        key = (want["student_id"], want["assignment"], want["grade_id"])
        row = got.get(key)
        if row is None:
            problems.append(f"{'/'.join(key)}: no grade row")
            continue
        if row.score != float(want["score"]) or row.max_score != float(want["max_score"]):
            problems.append(f"{'/'.join(key)}: scored {row.score:g} of {row.max_score:g}, "
                            f"declared {want['score']} of {want['max_score']} "
                            f"({row.status}: {row.message[:300]!r})")
        elif want["message_contains"] not in row.message:
            problems.append(f"{'/'.join(key)}: message lacks {want['message_contains']!r}: "
                            f"{row.message[:300]!r}")
    assert not problems, "\n".join(problems)


def test_no_other_grades_than_the_declared_ones(graded):
    declared = {(r["student_id"], r["assignment"], r["grade_id"]) for r in _expected()}
    submitted = {(r["student_id"], r["assignment"]) for r in _expected()}
    for r in graded:
        if (r.student_id, r.assignment, r.grade_id) in declared:
            continue
        # a student who did not hand in an assignment may get 'missing' rows for it
        assert (r.student_id, r.assignment) not in submitted and r.status == "missing" \
            and r.score == 0, r


def test_solution_gets_100_and_the_untouched_release_0(graded):
    totals = defaultdict(float)
    for r in graded:
        totals[r.student_id, r.assignment] += r.score
    assignments = {r.assignment for r in graded}
    assert len(assignments) == 6
    for aid in assignments:
        assert totals["solution", aid] == 100, aid
        assert totals["empty", aid] == 0, aid


def test_course_demo_compares_the_grades_with_expected_csv(graded):
    from autograder.demo import compare_with_expected

    assert compare_with_expected(graded, EXAMPLES / "expected.csv") == []
    wrong = [r for r in graded if r.student_id != "svm_no_mean"] + [
        r.__class__(*r.key, r.max_score, r.max_score, "passed", "")
        for r in graded if r.student_id == "svm_no_mean"]
    problems = compare_with_expected(wrong, EXAMPLES / "expected.csv")
    assert problems and all("svm_no_mean" in p and "expected 0" in p for p in problems)
