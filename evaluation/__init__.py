"""Measures how well the skill understands patients, independently of its own matcher (issue 9).

`python -m evaluation` routes every phrasing of `phrasings.yaml` with a sentence-embedding stand-in for
Alexa's NLU (`router`), plays it through the skill and judges the answer (`judge`).
"""
