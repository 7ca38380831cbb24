"""Continuous benchmarking: run history on a git branch, regression detection, alerts, exports.

``series`` (like-with-like keys, pure), ``detect`` (step fit and lookback z-score, pure),
``feed`` / ``export`` / ``summary`` (what is written for people and other dashboards, pure text),
``store`` (the history branch: clone, copy, commit, push, through ``environment/gitrepo``),
``site`` (renders the site of a history checkout).
See docs/continuous.md.
"""
