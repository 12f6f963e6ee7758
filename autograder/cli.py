"""The ``course`` command line (instructors and students)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _release(args) -> int:
    from autograder.release import release

    written = release(assignments=args.assignment or None)
    for path in written:
        print(f"released {path}")
    return 0


def _check(args) -> int:
    from autograder.check import check_notebook, report

    results = check_notebook(args.notebook)
    print(report(args.notebook, results))
    return 0 if all(r.status == "passed" for r in results) else 1


def _grade(args) -> int:
    from autograder.grade import grade
    from autograder.report import grade_table

    if args.scheduler:
        from autograder.cluster import connect

        if args.workers is not None:
            raise ValueError("--workers: not with --scheduler (the cluster's workers grade)")
        connect(args.scheduler).close()  # a bad address fails now, not after the set-up
    rows = grade(Path(args.submissions), Path(args.out), students=args.student,
                 assignments=args.assignment, progress=True, workers=args.workers,
                 scheduler=args.scheduler, regrade=args.regrade)
    print(grade_table(rows))
    print(f"grades: {Path(args.out) / 'grades.csv'}; report: {Path(args.out) / 'report.html'}")
    return 0


def _demo(args) -> int:
    from autograder.demo import run_demo

    return run_demo(Path(args.out))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="regenerate notebooks/ from solutions/ (nbgrader)")
    p.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    p.set_defaults(func=_release)
    p = sub.add_parser("grade", help="autograde a folder of submissions")
    p.add_argument("submissions", help="folder laid out as <student>/<assignment>/<notebook>"
                                       ".ipynb, or holding <student>.zip files")
    p.add_argument("--out", required=True, help="folder for grades.csv, feedback and report")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    p.add_argument("--workers", type=int, default=None,
                   help="notebooks graded at once (default: the number of cores)")
    p.add_argument("--regrade", action="store_true",
                   help="grade every selected submission again; by default a run reuses the "
                        "grades in OUT/journal.jsonl of unchanged submissions, so a killed run "
                        "resumes where it stopped")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on the Dask cluster whose scheduler is at ADDRESS "
                        "(tcp://HOST:8786) instead of on this machine; needs the 'cluster' extra")
    p.set_defaults(func=_grade)
    p = sub.add_parser("demo", help="release, grade the bundled example submissions, "
                                    "print the table, write the report")
    p.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    p.set_defaults(func=_demo)
    p = sub.add_parser("check", help="self-check a notebook: which questions pass, hints for "
                                     "the others")
    p.add_argument("notebook", help="path to the .ipynb to check (it is not modified)")
    p.set_defaults(func=_check)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError) as err:  # bad paths or options: say so plainly
        parser.exit(2, f"course {args.command}: error: {err}\n")


if __name__ == "__main__":
    sys.exit(main())
