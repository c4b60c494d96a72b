"""Coverage-guided fuzzing with atheris: one harness per attack surface, seed corpora, a runner.

Each ``fuzz_<name>.py`` is a script (``python tests/fuzz/fuzz_codec.py [libFuzzer args] [corpus
dirs]``) and a module: its ``check(data)`` is the oracle, pure Python, so that
``tests/test_fuzz_regressions.py`` replays the seeds and every crash reproducer without atheris.
``run.py`` runs them all for a bounded time; see the README's "Fuzzing" section.
"""
